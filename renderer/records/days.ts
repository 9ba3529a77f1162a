/**
 * Local days for the Records screens: a day is midnight to midnight where the device is, so a day
 * with a clock change is 23 or 25 hours long.
 */

export function addDays(dayStart: number, days: number): number {
  const day = new Date(dayStart);
  day.setDate(day.getDate() + days);
  return day.getTime();
}

/** The day as a date input holds it: YYYY-MM-DD. */
export function dateInputValue(dayStart: number): string {
  const day = new Date(dayStart);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

/** The start of the day a date input names; null while it names none (cleared, or half typed). */
export function fromDateInput(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(day.getTime()) ? null : day.getTime();
}
