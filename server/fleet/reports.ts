/** How often a device's health report is kept in the history (each pull carries one; most are not kept). */
export const DEVICE_REPORT_EVERY_MS = 5 * 60 * 1000;

const HOUR = 60 * 60 * 1000;

/** Whether the report a pull carries at `now` goes into the history, given when the device last reported. */
export function reportDue(previousReportAt: number | null, now: number): boolean {
  return previousReportAt === null || now - previousReportAt >= DEVICE_REPORT_EVERY_MS;
}

/** The width of a chart's time step for a window of `days`: at most about a hundred and twenty points. */
export function bucketMsFor(days: number): number {
  if (days <= 1) return HOUR / 4;
  if (days <= 7) return 2 * HOUR;
  if (days <= 30) return 6 * HOUR;
  return 24 * HOUR;
}
