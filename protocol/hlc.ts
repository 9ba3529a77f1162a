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

export function tickHlc(previous: Hlc, nowMs: number): Hlc {
  if (nowMs > previous.wallMs) return { wallMs: nowMs, counter: 0 };
  return { wallMs: previous.wallMs, counter: previous.counter + 1 };
}

/** Advance past a timestamp observed from elsewhere (the server, another device). */
export function observeHlc(local: Hlc, remote: Hlc, nowMs: number): Hlc {
  const wallMs = Math.max(local.wallMs, remote.wallMs, nowMs);
  if (wallMs === local.wallMs && wallMs === remote.wallMs) {
    return { wallMs, counter: Math.max(local.counter, remote.counter) + 1 };
  }
  if (wallMs === local.wallMs) return { wallMs, counter: local.counter + 1 };
  if (wallMs === remote.wallMs) return { wallMs, counter: remote.counter + 1 };
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
