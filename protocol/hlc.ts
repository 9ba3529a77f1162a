/**
 * Hybrid logical clock: wall time in ms plus a counter, so entries made within one millisecond, or
 * after the device clock stepped backwards, still order after everything this device has seen.
 * Encoded as fixed-width text so that string order is clock order.
 */
export interface Hlc {
  wallMs: number;
  counter: number;
}

export const HLC_ZERO: Hlc = { wallMs: 0, counter: 0 };

const MAX_COUNTER = 999_999;

/**
 * A counter that would outgrow its six digits (a clock stuck far in the future for a million
 * entries) moves the logical wall time on by 1 ms instead, keeping the encoding ordered.
 */
function bounded(hlc: Hlc): Hlc {
  return hlc.counter > MAX_COUNTER ? { wallMs: hlc.wallMs + 1, counter: 0 } : hlc;
}

export function tickHlc(previous: Hlc, nowMs: number): Hlc {
  if (nowMs > previous.wallMs) return { wallMs: nowMs, counter: 0 };
  return bounded({ wallMs: previous.wallMs, counter: previous.counter + 1 });
}

/** Advance past a timestamp observed from elsewhere (the server, another device). */
export function observeHlc(local: Hlc, remote: Hlc, nowMs: number): Hlc {
  const wallMs = Math.max(local.wallMs, remote.wallMs, nowMs);
  if (wallMs === local.wallMs && wallMs === remote.wallMs) {
    return bounded({ wallMs, counter: Math.max(local.counter, remote.counter) + 1 });
  }
  if (wallMs === local.wallMs) return bounded({ wallMs, counter: local.counter + 1 });
  if (wallMs === remote.wallMs) return bounded({ wallMs, counter: remote.counter + 1 });
  return { wallMs, counter: 0 };
}

export function encodeHlc(hlc: Hlc): string {
  return `${hlc.wallMs.toString().padStart(15, '0')}:${hlc.counter.toString().padStart(6, '0')}`;
}

export const HLC_PATTERN = /^\d{15}:\d{6}$/;

export function decodeHlc(text: string): Hlc {
  if (!HLC_PATTERN.test(text)) throw new Error(`not a hybrid logical clock value: ${text}`);
  const [wall, counter] = text.split(':');
  return { wallMs: Number(wall), counter: Number(counter) };
}
