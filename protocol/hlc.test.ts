import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Hlc, decodeHlc, encodeHlc, HLC_ZERO, observeHlc, tickHlc } from './hlc.js';

const compare = (a: Hlc, b: Hlc) => a.wallMs - b.wallMs || a.counter - b.counter;

describe('tickHlc', () => {
  it('follows the wall clock while it moves forward', () => {
    const first = tickHlc(HLC_ZERO, 1_000);
    expect(first).toEqual({ wallMs: 1_000, counter: 0 });
    expect(tickHlc(first, 1_500)).toEqual({ wallMs: 1_500, counter: 0 });
  });

  it('counts up within one millisecond and while the clock stands still or steps back', () => {
    const start = { wallMs: 5_000, counter: 0 };
    const sameMs = tickHlc(start, 5_000);
    const steppedBack = tickHlc(sameMs, 1_000);
    expect(sameMs).toEqual({ wallMs: 5_000, counter: 1 });
    expect(steppedBack).toEqual({ wallMs: 5_000, counter: 2 });
    expect(tickHlc(steppedBack, 5_001)).toEqual({ wallMs: 5_001, counter: 0 });
  });

  it('stays strictly increasing, also in its text form, whatever the clock does', () => {
    const readings = fc.array(fc.integer({ min: 0, max: 10_000_000_000_000 }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(readings, (nows) => {
        let previous = HLC_ZERO;
        for (const now of nows) {
          const next = tickHlc(previous, now);
          expect(compare(next, previous)).toBeGreaterThan(0);
          expect(encodeHlc(next) > encodeHlc(previous)).toBe(true);
          expect(next.wallMs).toBeGreaterThanOrEqual(now);
          previous = next;
        }
      }),
      { numRuns: 200, seed: 1 },
    );
  });
});

describe('observeHlc', () => {
  it.each([
    ['the local clock is ahead', { wallMs: 900, counter: 3 }, { wallMs: 800, counter: 9 }, 700, { wallMs: 900, counter: 4 }],
    ['the remote clock is ahead', { wallMs: 800, counter: 9 }, { wallMs: 900, counter: 3 }, 700, { wallMs: 900, counter: 4 }],
    ['both are at the same millisecond', { wallMs: 900, counter: 3 }, { wallMs: 900, counter: 7 }, 700, { wallMs: 900, counter: 8 }],
    ['the wall clock is ahead of both', { wallMs: 900, counter: 3 }, { wallMs: 800, counter: 7 }, 1_000, { wallMs: 1_000, counter: 0 }],
  ])('orders after both clocks when %s', (_label, local, remote, now, expected) => {
    expect(observeHlc(local, remote, now)).toEqual(expected);
  });

  it('always yields a value after both the local and the remote clock', () => {
    const hlc = fc.record({ wallMs: fc.integer({ min: 0, max: 1e13 }), counter: fc.integer({ min: 0, max: 1000 }) });
    fc.assert(
      fc.property(hlc, hlc, fc.integer({ min: 0, max: 1e13 }), (local, remote, now) => {
        const next = observeHlc(local, remote, now);
        expect(compare(next, local)).toBeGreaterThan(0);
        expect(compare(next, remote)).toBeGreaterThan(0);
      }),
      { numRuns: 300, seed: 2 },
    );
  });
});

describe('encodeHlc / decodeHlc', () => {
  it('writes fixed-width text', () => {
    expect(encodeHlc({ wallMs: 1_763_798_400_000, counter: 42 })).toBe('001763798400000:000042');
  });

  it('round-trips, and text order is clock order', () => {
    const hlc = fc.record({ wallMs: fc.integer({ min: 0, max: 999_999_999_999_999 }), counter: fc.integer({ min: 0, max: 999_999 }) });
    fc.assert(
      fc.property(hlc, hlc, (a, b) => {
        expect(decodeHlc(encodeHlc(a))).toEqual(a);
        expect(encodeHlc(a) < encodeHlc(b)).toBe(compare(a, b) < 0);
        expect(encodeHlc(a) === encodeHlc(b)).toBe(compare(a, b) === 0);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it.each(['', '1763798400000:42', '001763798400000-000042', '001763798400000:000042 ', 'abcdefghijklmno:000042'])(
    'refuses %j',
    (text) => {
      expect(() => decodeHlc(text)).toThrow(`not a hybrid logical clock value: ${text}`);
    },
  );
});

describe('hybrid logical clock counter overflow', () => {
  it('moves the wall time on instead of outgrowing the six-digit counter (clock stuck in the future)', () => {
    const stuck = { wallMs: 4_102_444_800_000, counter: 999_999 };
    const next = tickHlc(stuck, 1_795_000_000_000);
    expect(next).toEqual({ wallMs: stuck.wallMs + 1, counter: 0 });
    expect(encodeHlc(next) > encodeHlc(stuck)).toBe(true);
    expect(() => decodeHlc(encodeHlc(next))).not.toThrow();
  });
});
