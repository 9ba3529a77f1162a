import { z } from 'zod';

/**
 * When did a device's entry happen, in office time? The rule an auditor can check:
 *
 * 1. Clock offset (office clock − device clock) is bounded by round trips, as NTP does. For one
 *    exchange the device sent at `sentAt` and got the answer at `answeredAt` (device clock); the
 *    office received it at `officeReceivedAt` and replied at `officeRepliedAt` (office clock).
 *    Causality alone gives officeRepliedAt − answeredAt ≤ offset ≤ officeReceivedAt − sentAt,
 *    whatever the transit in either direction and however long the office queued the request.
 *    The device reports its last such exchange with each push; the office intersects it with
 *    what its own receipt of that push proves (offset ≤ receivedAt − sentAt).
 * 2. A device clock is corrected only by as much as these bounds prove it wrong: by nothing when
 *    zero offset is within them (so an honest clock is never "corrected" by network delay), else
 *    by the nearest bound.
 * 3. An entry's effective time is its device time plus that correction, and must lie between the
 *    effective time of the device's last trusted entry (its chain was made in order) and the
 *    office's receipt (nothing is made after it is sent), each with a small tolerance. An entry
 *    outside, or a device whose bounds contradict each other or exceed the plausible skew, is
 *    flagged and ordered by its receipt instead.
 *
 * So with honest clocks last-writer-wins keeps the edit made last, whatever the network did, and
 * a forged clock can at most place an edit somewhere its own chain and the receipt already allow.
 */

/** One request/answer exchange with the office, as the device measured it. */
export const clockSampleSchema = z
  .strictObject({
    /** Device clock when the request left. */
    sentAt: z.number().int().nonnegative(),
    /** Office clock when the request arrived, from the office's answer. */
    officeReceivedAt: z.number().int().nonnegative(),
    /** Office clock when the answer left, from the office's answer. */
    officeRepliedAt: z.number().int().nonnegative(),
    /** Device clock when the answer arrived. */
    answeredAt: z.number().int().nonnegative(),
  })
  .refine((sample) => sample.sentAt <= sample.answeredAt && sample.officeReceivedAt <= sample.officeRepliedAt, {
    message: 'a clock sample must be in causal order (sent ≤ answered, received ≤ replied)',
  });
export type ClockSample = z.infer<typeof clockSampleSchema>;

/** The office's own stamps on an answer, from which the device makes its next `ClockSample`. */
export const officeStampsSchema = z.strictObject({
  receivedAt: z.number().int().nonnegative(),
  repliedAt: z.number().int().nonnegative(),
});
export type OfficeStamps = z.infer<typeof officeStampsSchema>;

/** office clock − device clock lies in [min, max]. */
export interface OffsetBounds {
  min: number;
  max: number;
}

export const UNBOUNDED: OffsetBounds = { min: -Infinity, max: Infinity };

export function boundsFromSample(sample: ClockSample): OffsetBounds {
  return { min: sample.officeRepliedAt - sample.answeredAt, max: sample.officeReceivedAt - sample.sentAt };
}

/** What the office's receipt of a request proves: it arrived after it was sent. */
export function boundsFromReceipt(sentAt: number, receivedAt: number): OffsetBounds {
  return { min: -Infinity, max: receivedAt - sentAt };
}

export function intersectBounds(a: OffsetBounds, b: OffsetBounds): OffsetBounds {
  return { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
}

export function boundsWidth(bounds: OffsetBounds): number {
  return bounds.max - bounds.min;
}

/** The smallest correction the bounds prove necessary (0 when a correct clock is possible). */
export function provenCorrection(bounds: OffsetBounds): number {
  if (bounds.min > 0) return bounds.min;
  if (bounds.max < 0) return bounds.max;
  return 0;
}

/**
 * Of two samples, the one to keep for the next push: the tighter bounds, unless the kept one is
 * older than `maxAgeMs` (clocks drift), as NTP prefers its lowest-delay recent sample.
 */
export function preferSample(kept: ClockSample | null, fresh: ClockSample, maxAgeMs: number): ClockSample {
  if (!kept || fresh.answeredAt - kept.answeredAt > maxAgeMs || fresh.answeredAt < kept.answeredAt) return fresh;
  return boundsWidth(boundsFromSample(fresh)) <= boundsWidth(boundsFromSample(kept)) ? fresh : kept;
}

export type ClockFlag = 'clock-inconsistent' | 'clock-skew';
export type EntryTimeFlag = ClockFlag | 'time-in-future' | 'time-before-anchor';

export interface DeviceClockReading {
  bounds: OffsetBounds;
  /** Added to device times to get office times. */
  correctionMs: number;
  /** Why this push's clock cannot be trusted at all (every entry is ordered by receipt). */
  flag: ClockFlag | null;
}

export interface TimePolicy {
  /** A correction larger than this means the clock is not plausible. */
  maxSkewMs: number;
  /** Slack for rounding and clock granularity on each bound. */
  toleranceMs: number;
}

/**
 * The office's reading of a device clock for one push: the receipt's bound, intersected with the
 * device's reported sample when that sample is one this office could have answered before now.
 */
export function readDeviceClock(
  push: { sentAt: number; receivedAt: number; sample?: ClockSample | null },
  policy: TimePolicy,
): DeviceClockReading {
  let bounds = boundsFromReceipt(push.sentAt, push.receivedAt);
  const sample = push.sample;
  if (sample && sample.officeRepliedAt <= push.receivedAt && sample.answeredAt <= push.sentAt + policy.toleranceMs) {
    bounds = intersectBounds(bounds, boundsFromSample(sample));
  }
  if (bounds.min > bounds.max + policy.toleranceMs) return { bounds, correctionMs: 0, flag: 'clock-inconsistent' };
  const correctionMs = provenCorrection(bounds.min > bounds.max ? { min: bounds.max, max: bounds.max } : bounds);
  return { bounds, correctionMs, flag: Math.abs(correctionMs) > policy.maxSkewMs ? 'clock-skew' : null };
}

export interface PlacedEntry {
  effectiveTime: number;
  /** Why the entry is ordered by receipt instead of by its own time; null when its time is trusted. */
  flag: EntryTimeFlag | null;
}

/**
 * An entry's effective time. `anchoredTime` is the effective time of the device's last trusted
 * entry before this one (null before its first).
 */
export function placeEntry(
  deviceTime: number,
  clock: DeviceClockReading,
  context: { anchoredTime: number | null; receivedAt: number },
  policy: TimePolicy,
): PlacedEntry {
  const receipt = { effectiveTime: context.receivedAt };
  if (clock.flag) return { ...receipt, flag: clock.flag };
  const corrected = deviceTime + clock.correctionMs;
  if (corrected > context.receivedAt + policy.toleranceMs) return { ...receipt, flag: 'time-in-future' };
  if (context.anchoredTime !== null && corrected < context.anchoredTime - policy.toleranceMs) return { ...receipt, flag: 'time-before-anchor' };
  return { effectiveTime: corrected, flag: null };
}

/** The anchor for the entry after `placed`: it moves on only with trusted times. */
export function nextAnchoredTime(anchoredTime: number | null, placed: PlacedEntry): number | null {
  if (placed.flag) return anchoredTime;
  return anchoredTime === null ? placed.effectiveTime : Math.max(anchoredTime, placed.effectiveTime);
}
