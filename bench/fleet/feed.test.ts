import { describe, expect, it } from 'vitest';
import { cursorChangeId, median, pathGroup, settledAt, workOrderDigest } from './feed.js';

describe('fleet benchmark helpers', () => {
  it('reads the change id out of an office pull cursor, 0 for a device that never pulled', () => {
    expect(cursorChangeId(Buffer.from('v1.12345').toString('base64url'))).toBe(12345);
    expect(cursorChangeId(null)).toBe(0);
    expect(() => cursorChangeId(Buffer.from('v2.1').toString('base64url'))).toThrow('not a v1 pull cursor');
  });

  it('digests work orders the same whatever order they were read in, missing fields as null', () => {
    const a = { id: 'wo-1', statusNote: 'at door 4', location: undefined };
    const b = { id: 'wo-2', statusNote: null, location: 'row C' };
    expect(workOrderDigest([b, a])).toBe(workOrderDigest([a, b]));
    expect(workOrderDigest([a])).toBe('[["wo-1","at door 4",null]]');
  });

  it('finds when a state settled: the first of the observations that hold through the end', () => {
    const seen = [
      { at: 1, ok: false },
      { at: 2, ok: true },
      { at: 3, ok: false },
      { at: 4, ok: true },
      { at: 5, ok: true },
    ];
    expect(settledAt(seen, (o) => o.ok)).toBe(4);
    expect(settledAt([...seen, { at: 6, ok: false }], (o) => o.ok)).toBeNull();
    expect(settledAt([], () => true)).toBeNull();
  });

  it('takes medians of odd and even counts and groups attachment paths', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(pathGroup(`/v1/attachments/${'ab'.repeat(32)}`)).toBe('/v1/attachments/:sha256');
    expect(pathGroup('/v1/sync/push')).toBe('/v1/sync/push');
  });
});
