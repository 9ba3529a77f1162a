import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lwwPolicy } from './policies/lww.js';
import { device, fieldWrite, foldConcurrent, T0 } from '../test/support/policy-writes.js';
import {
  type ClockSample,
  type TimePolicy,
  boundsFromSample,
  nextAnchoredTime,
  placeEntry,
  preferSample,
  provenCorrection,
  readDeviceClock,
} from './time.js';

const POLICY: TimePolicy = { maxSkewMs: 24 * 60 * 60 * 1000, toleranceMs: 2_000 };
const HOUR = 60 * 60 * 1000;

/**
 * One exchange between a device whose clock reads `trueTime − offset` and the office, with the
 * request spending `out` ms on the way (network, proxies, the office's own queue before it reads
 * the request), `work` ms inside the office and `back` ms on the way back.
 */
function exchange(startTrue: number, officeMinusDevice: number, out: number, work: number, back: number): ClockSample {
  return {
    sentAt: startTrue - officeMinusDevice,
    officeReceivedAt: startTrue + out,
    officeRepliedAt: startTrue + out + work,
    answeredAt: startTrue + out + work + back - officeMinusDevice,
  };
}

const delay = fc.integer({ min: 0, max: 30_000 });

describe('clock offset bounds from round trips', () => {
  it('always contain the true offset, however asymmetric the delays', () => {
    fc.assert(
      fc.property(fc.integer({ min: -48 * HOUR, max: 48 * HOUR }), delay, delay, delay, (offset, out, work, back) => {
        const bounds = boundsFromSample(exchange(T0, offset, out, work, back));
        expect(bounds.min).toBeLessThanOrEqual(offset);
        expect(bounds.max).toBeGreaterThanOrEqual(offset);
      }),
    );
  });

  it('never correct an honest clock: network delay and office queueing are not skew', () => {
    fc.assert(
      fc.property(delay, delay, delay, delay, (out, work, back, pushTransit) => {
        const sample = exchange(T0, 0, out, work, back);
        const sentAt = T0 + 60_000;
        const reading = readDeviceClock({ sentAt, receivedAt: sentAt + pushTransit, sample }, POLICY);
        expect(reading).toMatchObject({ correctionMs: 0, flag: null });
      }),
    );
  });

  it('correct a wrong clock by the smallest amount the exchanges prove, within one round trip of the truth', () => {
    fc.assert(
      fc.property(fc.integer({ min: -20 * HOUR, max: 20 * HOUR }), delay, delay, delay, delay, (offset, out, work, back, pushTransit) => {
        const sample = exchange(T0, offset, out, work, back);
        const sentTrue = T0 + out + work + back + 60_000;
        const reading = readDeviceClock({ sentAt: sentTrue - offset, receivedAt: sentTrue + pushTransit, sample }, POLICY);
        expect(reading.flag).toBeNull();
        expect(Math.abs(reading.correctionMs - offset)).toBeLessThanOrEqual(out + back);
        if (Math.abs(offset) > out + back) expect(Math.sign(reading.correctionMs)).toBe(Math.sign(offset));
      }),
    );
  });

  it('without a sample, trusts only what the receipt proves: a clock ahead is corrected, one behind is not guessed at', () => {
    expect(readDeviceClock({ sentAt: T0 + HOUR, receivedAt: T0 + 50 }, POLICY)).toMatchObject({ correctionMs: -HOUR + 50, flag: null });
    expect(readDeviceClock({ sentAt: T0 - HOUR, receivedAt: T0 + 50 }, POLICY)).toMatchObject({ correctionMs: 0, flag: null });
  });

  it('flags a device whose reported exchange contradicts the receipt of its own push, and a clock beyond plausible skew', () => {
    // The sample claims the office is an hour ahead of the device; this push arrived as sent.
    const lying = exchange(T0, HOUR, 10, 10, 10);
    expect(readDeviceClock({ sentAt: T0 + 60_000, receivedAt: T0 + 60_010, sample: lying }, POLICY).flag).toBe('clock-inconsistent');
    expect(readDeviceClock({ sentAt: T0 + 3 * 24 * HOUR, receivedAt: T0 }, POLICY)).toMatchObject({ flag: 'clock-skew', correctionMs: -3 * 24 * HOUR });
  });

  it('ignores a sample the office cannot have answered yet or that the device had not received when it sent', () => {
    const fromTheFuture = exchange(T0 + HOUR, 0, 10, 10, 10);
    expect(readDeviceClock({ sentAt: T0, receivedAt: T0 + 5, sample: fromTheFuture }, POLICY).bounds).toEqual({ min: -Infinity, max: 5 });
  });

  it('keeps the tighter of two recent samples, and a fresh one once the kept one is old', () => {
    const tight = exchange(T0, 0, 5, 1, 5);
    const loose = exchange(T0 + 1000, 0, 4000, 1, 10);
    expect(preferSample(tight, loose, 10 * 60_000)).toBe(tight);
    expect(preferSample(loose, tight, 10 * 60_000)).toBe(tight);
    const later = exchange(T0 + HOUR, 0, 4000, 1, 10);
    expect(preferSample(tight, later, 10 * 60_000)).toBe(later);
    expect(preferSample(null, loose, 10 * 60_000)).toBe(loose);
  });

  it('proves a correction only when zero offset is outside the bounds', () => {
    expect(provenCorrection({ min: -5, max: 7 })).toBe(0);
    expect(provenCorrection({ min: 3, max: 7 })).toBe(3);
    expect(provenCorrection({ min: -9, max: -4 })).toBe(-4);
  });
});

describe('effective time of an entry', () => {
  const honest = readDeviceClock({ sentAt: T0, receivedAt: T0 + 100 }, POLICY);

  it('is the device time when it lies between the device anchored history and the receipt', () => {
    expect(placeEntry(T0 - 5_000, honest, { anchoredTime: T0 - 60_000, receivedAt: T0 + 100 }, POLICY)).toEqual({ effectiveTime: T0 - 5_000, flag: null });
  });

  it('orders an entry dated after its own receipt (a forged future clock) by receipt, flagged', () => {
    const tenYears = 10 * 365 * 24 * HOUR;
    expect(placeEntry(T0 + tenYears, honest, { anchoredTime: null, receivedAt: T0 + 100 }, POLICY)).toEqual({
      effectiveTime: T0 + 100,
      flag: 'time-in-future',
    });
  });

  it('orders an entry dated before what its chain already anchored (a backdated clock) by receipt, flagged', () => {
    expect(placeEntry(T0 - HOUR, honest, { anchoredTime: T0 - 1_000, receivedAt: T0 + 100 }, POLICY)).toEqual({
      effectiveTime: T0 + 100,
      flag: 'time-before-anchor',
    });
  });

  it('moves the anchor only with trusted times', () => {
    expect(nextAnchoredTime(null, { effectiveTime: 5, flag: null })).toBe(5);
    expect(nextAnchoredTime(9, { effectiveTime: 5, flag: null })).toBe(9);
    expect(nextAnchoredTime(9, { effectiveTime: 50, flag: 'time-in-future' })).toBe(9);
  });

  it('stays between the anchor and the receipt, whatever a device claims', () => {
    const anything = fc.integer({ min: 0, max: 2 ** 45 });
    fc.assert(
      fc.property(anything, anything, anything, anything, anything, anything, (deviceTime, sentAt, receivedAt, answered, replied, anchorBack) => {
        const sample = { sentAt: Math.min(sentAt, answered), officeReceivedAt: Math.min(replied, receivedAt), officeRepliedAt: Math.min(replied, receivedAt), answeredAt: Math.max(sentAt, answered) };
        const clock = readDeviceClock({ sentAt, receivedAt, sample }, POLICY);
        const anchoredTime = Math.max(0, receivedAt - anchorBack);
        const placed = placeEntry(deviceTime, clock, { anchoredTime, receivedAt }, POLICY);
        expect(placed.effectiveTime).toBeLessThanOrEqual(receivedAt + POLICY.toleranceMs);
        expect(placed.effectiveTime).toBeGreaterThanOrEqual(anchoredTime - POLICY.toleranceMs);
      }),
    );
  });
});

describe('last writer wins with honest clocks', () => {
  /**
   * Two devices with correct clocks edit one field concurrently, `gap` ms apart. Each learned its
   * clock from an earlier exchange and pushes later; every leg of every exchange is delayed by
   * any amount (up to a minute), so either push may arrive first and after any queueing.
   */
  it('keeps the edit made last, whatever the network and the office queue did', () => {
    const leg = fc.integer({ min: 0, max: 60_000 });
    const exchangeDelays = fc.tuple(leg, leg, leg);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        exchangeDelays,
        exchangeDelays,
        leg,
        leg,
        leg,
        leg,
        (gap, [outA, workA, backA], [outB, workB, backB], waitA, waitB, transitA, transitB) => {
          const madeA = T0 + 120_000;
          const madeB = madeA + gap;
          const placed = [
            { made: madeA, sample: exchange(T0, 0, outA, workA, backA), wait: waitA, transit: transitA, author: device('cab-a', 2) },
            { made: madeB, sample: exchange(T0 + 1, 0, outB, workB, backB), wait: waitB, transit: transitB, author: device('cab-b', 2) },
          ].map(({ made, sample, wait, transit, author }) => {
            // A sample only counts once answered; an exchange still in flight when the edit is pushed is not sent.
            const sentAt = Math.max(made, sample.answeredAt) + wait;
            const receivedAt = sentAt + transit;
            const clock = readDeviceClock({ sentAt, receivedAt, sample }, POLICY);
            const time = placeEntry(made, clock, { anchoredTime: T0, receivedAt }, POLICY);
            expect(time.flag).toBeNull();
            return { time, receivedAt, author };
          });
          const writes = placed.map(({ time, receivedAt, author }, i) =>
            fieldWrite({ op: 'set', field: 'statusNote', value: i === 0 ? 'made first' : 'made last' }, { effectiveTime: time.effectiveTime, receivedAt, author, version: 2 + i }),
          );
          expect(foldConcurrent(lwwPolicy, writes)?.value).toBe('made last');
          expect(foldConcurrent(lwwPolicy, [...writes].reverse())?.value).toBe('made last');
        },
      ),
      { numRuns: 300 },
    );
  });
});
