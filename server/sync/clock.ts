/**
 * Device clocks drift and get set wrong. Each push carries the device's clock reading when it was
 * sent; the difference to the server clock estimates the device's offset, and entry times are
 * corrected by it. An offset beyond the plausible bound means the clock cannot be trusted at all:
 * those entries are flagged and ordered by when the server received them.
 */
export interface ClockReading {
  /** serverNow − sentAt. */
  offsetMs: number;
  flagged: boolean;
}

export function readDeviceClock(receivedAt: number, sentAt: number, maxSkewMs: number): ClockReading {
  const offsetMs = receivedAt - sentAt;
  return { offsetMs, flagged: Math.abs(offsetMs) > maxSkewMs };
}

export function effectiveTime(deviceTime: number, clock: ClockReading, receivedAt: number): number {
  return clock.flagged ? receivedAt : deviceTime + clock.offsetMs;
}
