export function formatTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function formatDateTime(epochMs: number): string {
  return new Date(epochMs).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

export function startOfToday(now: number): number {
  const day = new Date(now);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

/** A hash or key short enough to read out over the phone, e.g. "7baa…51d". */
export function shortHash(hex: string): string {
  return hex.length > 12 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex;
}

export function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

/** The core writes messages in lower case to fit inside sentences; on screen they stand alone. */
export function sentence(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** A day as people say it, e.g. "Tuesday 1 December". */
export function formatDay(epochMs: number): string {
  return new Date(epochMs).toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long' });
}
