import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordAction } from '../journal.js';
import {
  compareObservations,
  resolveEntryOutcome,
  stampOf,
  tombstonePolicy,
  type Author,
  type RecordResolution,
  type RecordWrite,
  type Tombstone,
} from './index.js';
import { T0, authorArb, device, office, permutations } from '../../test/support/policy-writes.js';

function recordWrite(action: RecordAction, author: Author, version: number, effectiveTime = T0): RecordWrite {
  return { action, author, version, effectiveTime, receivedAt: effectiveTime + 500, origin: author.deviceId === null ? 'office' : 'field' };
}

/** A resolution that settles the entry by itself (anything but `proceed`). */
function decided(resolution: RecordResolution): Exclude<RecordResolution, { outcome: 'proceed' }> {
  if (resolution.outcome === 'proceed') throw new Error('expected the tombstone policy to decide the entry');
  return resolution;
}

describe('tombstone: deletes win over stale updates', () => {
  const officeDelete = recordWrite('delete', office(), 4);
  const tombstone: Tombstone = { version: 4, effectiveTime: T0, receivedAt: T0 + 500, origin: 'office', author: office() };

  it('lets updates of a live record through to the field policies', () => {
    for (const action of ['create', 'update', 'submit'] as const) {
      expect(tombstonePolicy(null, recordWrite(action, device('cab-1', 3), 2))).toEqual({ outcome: 'proceed' });
    }
  });

  it('deletes a live record and records who deleted it, when and at which version', () => {
    const deleted = decided(tombstonePolicy(null, officeDelete));
    expect(deleted).toEqual({ outcome: 'applied', tombstone });
    expect(resolveEntryOutcome([deleted])).toBe('accepted');
  });

  it('rejects an update to a deleted record and flags it for review instead of applying it', () => {
    const staleUpdate = decided(tombstonePolicy(tombstone, recordWrite('update', device('cab-1', 9), 5, T0 + 60_000)));
    expect(staleUpdate).toEqual({
      outcome: 'rejected',
      flagged: true,
      reason: 'update to a deleted record, kept for review: it was deleted by operator op-dana in the office at 2026-11-22T08:00:00.000Z',
    });
    expect(resolveEntryOutcome([staleUpdate])).toBe('rejected');
    expect(tombstonePolicy(tombstone, recordWrite('create', device('cab-2', 1), 5)).outcome).toBe('rejected');
  });

  it('treats a second delete as idempotent: still deleted, and the earliest delete is the one kept', () => {
    const laterDelete = decided(tombstonePolicy(tombstone, recordWrite('delete', device('cab-1', 9), 5, T0 + 1)));
    expect(laterDelete).toMatchObject({ outcome: 'merged', tombstone, reason: expect.stringContaining('already deleted') });
    expect(resolveEntryOutcome([laterDelete])).toBe('merged');
    const earlierDelete = recordWrite('delete', device('cab-1', 9), 5, T0 - 1);
    expect(tombstonePolicy(tombstone, earlierDelete)).toMatchObject({ outcome: 'merged', tombstone: { version: 5, author: device('cab-1', 9) } });
  });

  it('refuses a write with a non-finite time', () => {
    expect(() => tombstonePolicy(null, recordWrite('delete', office(), 1, Number.NaN))).toThrow(/finite times/);
  });
});

describe('tombstone properties', () => {
  const writesArb = fc
    .array(fc.record({ action: fc.constantFrom<RecordAction>('update', 'delete'), author: authorArb, time: fc.integer({ min: 0, max: 3 }) }), {
      minLength: 1,
      maxLength: 8,
    })
    .map((drafts) => drafts.map(({ action, author, time }, index) => recordWrite(action, author, index + 1, T0 + time)));

  function fold(writes: readonly RecordWrite[]) {
    let tombstone: Tombstone | null = null;
    const resolutions = writes.map((write) => {
      const resolution = tombstonePolicy(tombstone, write);
      if (resolution.outcome === 'applied' || resolution.outcome === 'merged') tombstone = resolution.tombstone;
      return { write, resolution };
    });
    return { tombstone, resolutions };
  }

  it('ends deleted by the earliest delete in every arrival order, and never applies an update after a delete', () => {
    fc.assert(
      fc.property(
        writesArb.chain((writes) => fc.tuple(fc.constant(writes), permutations(writes))),
        ([inOrder, shuffled]) => {
          const deletes = inOrder.filter((write) => write.action === 'delete');
          const earliest = deletes.reduce<RecordWrite | null>((a, b) => (a && compareObservations(a, b) <= 0 ? a : b), null);
          for (const order of [inOrder, shuffled]) {
            const { tombstone, resolutions } = fold(order);
            expect(tombstone).toEqual(earliest && stampOf(earliest));
            const firstDelete = order.findIndex((write) => write.action === 'delete');
            for (const [index, { write, resolution }] of resolutions.entries()) {
              if (write.action === 'delete') continue;
              const afterDelete = firstDelete !== -1 && index > firstDelete;
              expect(resolution).toMatchObject(afterDelete ? { outcome: 'rejected', flagged: true } : { outcome: 'proceed' });
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
