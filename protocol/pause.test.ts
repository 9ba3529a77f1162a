import { describe, expect, it } from 'vitest';
import { attemptsLeftBeforePause, describeWait, pauseAfterFailures, pauseLeft } from './pause.js';

const policy = { attemptsBeforePause: 5, firstPauseMs: 30_000, maxPauseMs: 15 * 60_000 };

describe('escalating pauses', () => {
  it('start at the attempt the policy names and double with each further failure, up to the longest', () => {
    const pauses = Array.from({ length: 12 }, (_, index) => pauseAfterFailures(index + 1, policy));
    expect(pauses).toEqual([0, 0, 0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    expect([0, 1, 4, 5, 9].map((failed) => attemptsLeftBeforePause(failed, policy))).toEqual([5, 4, 1, 0, 0]);
  });

  it('last until their end, and never longer than the longest pause however far the clock went back', () => {
    expect(pauseLeft(null, 1000, policy)).toBe(0);
    expect(pauseLeft(1000, 1000, policy)).toBe(0);
    expect(pauseLeft(31_000, 1000, policy)).toBe(30_000);
    expect(pauseLeft(10 ** 12, 1000, policy)).toBe(policy.maxPauseMs);
  });

  it('read as seconds under a minute and as whole minutes, rounded up, past it', () => {
    expect([1, 30_000, 59_001, 60_000, 61_000, 900_000].map(describeWait)).toEqual(['1 s', '30 s', '60 s', '1 min', '2 min', '15 min']);
  });
});
