import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterPolicy, fieldStateAfter, type FieldWrite } from './index.js';
import { concurrentWrites, device, fieldWrite, foldConcurrent, permutations, stateFrom } from '../../test/support/policy-writes.js';

const tally = (by: number, overrides: Partial<Omit<FieldWrite, 'op'>> = {}) => fieldWrite({ op: 'increment', field: 'tally', by }, overrides);

describe('counter: concurrent increments add up', () => {
  const counted = stateFrom(counterPolicy, tally(5, { author: device('kiosk-1', 1), version: 1 }));

  it('starts from zero and adds each increment', () => {
    expect(counterPolicy(null, tally(5), false)).toEqual({ outcome: 'applied', value: 5 });
    expect(counterPolicy(counted, tally(-2, { author: device('kiosk-1', 2), baseVersion: 1, version: 2 }), false)).toEqual({
      outcome: 'applied',
      value: 3,
    });
  });

  it('adds a concurrent increment to the total it had not seen and says it was combined', () => {
    const other = tally(3, { author: device('kiosk-2', 1), version: 2 });
    const resolution = counterPolicy(counted, other, true);
    expect(resolution).toMatchObject({ outcome: 'merged', value: 8, reason: expect.stringContaining('total 8') });
    expect(fieldStateAfter(counted, other, resolution)?.value).toBe(8);
  });

  it('rejects an increment that would leave the exact integer range instead of rounding the count', () => {
    const huge = { ...counted, value: Number.MAX_SAFE_INTEGER - 1 };
    const resolution = counterPolicy(huge, tally(5, { version: 2 }), false);
    expect(resolution).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^tally: adding 5 to \d+ leaves the range/) });
    expect(fieldStateAfter(huge, tally(5, { version: 2 }), resolution)).toBe(huge);
  });

  it('refuses a set on a counter and a stored count that is not an integer', () => {
    expect(() => counterPolicy(counted, fieldWrite({ op: 'set', field: 'tally', value: 9 }), false)).toThrow(/counter policy settles increment/);
    expect(() => counterPolicy({ ...counted, value: '5' }, tally(1, { version: 2 }), false)).toThrow(/stored value of tally is not an integer count/);
  });
});

describe('counter properties', () => {
  it('ends at the sum of all increments whatever order they arrive in', () => {
    const writes = concurrentWrites(fc.integer({ min: -1_000, max: 1_000 }).map((by) => ({ op: 'increment' as const, field: 'tally', by })), 12);
    fc.assert(
      fc.property(
        writes.chain((list) => fc.tuple(fc.constant(list), permutations(list))),
        ([inOrder, shuffled]) => {
          const sum = inOrder.reduce((total, write) => total + (write.op.op === 'increment' ? write.op.by : 0), 0);
          expect(foldConcurrent(counterPolicy, inOrder)?.value).toBe(sum);
          expect(foldConcurrent(counterPolicy, shuffled)?.value).toBe(sum);
        },
      ),
      { numRuns: 200 },
    );
  });
});
