import type { RecordAction } from '../journal.js';
import { compareObservations } from './lww.js';
import { describeChange, stampOf } from './stamps.js';
import type { ChangeStamp } from './types.js';

/**
 * Record-level deletes, for record types declared deletable: soft, audited, and stronger than
 * updates nobody made knowing about them.
 *
 * The server runs this before any field policy, with the record's tombstone (null while the record
 * is live) and the entry as a `RecordWrite`:
 *   - live record, not a delete      → `proceed`: the field policies decide the entry;
 *   - live record, delete            → `applied`: the record is deleted from now on, whatever
 *                                      updates were concurrent with the delete;
 *   - deleted record, delete         → `merged`: idempotent, the record stays deleted; the tombstone
 *                                      kept is the earliest delete by `compareObservations`, so it
 *                                      does not depend on which delete arrived first;
 *   - deleted record, anything else  → `rejected` and `flagged`: a device cannot edit a record it
 *                                      knows is deleted, so the update was made without seeing the
 *                                      delete; it is kept for review, not applied.
 * The outcome words match `FieldResolution`'s, so `resolveEntryOutcome([resolution])` turns a
 * decided resolution into the entry's result.
 */
export interface RecordWrite extends ChangeStamp {
  action: RecordAction;
}

/** Who deleted the record, when, and at which record version. */
export type Tombstone = ChangeStamp;

export type RecordResolution =
  | { outcome: 'proceed' }
  | { outcome: 'applied'; tombstone: Tombstone }
  | { outcome: 'merged'; tombstone: Tombstone; reason: string }
  | { outcome: 'rejected'; reason: string; flagged: true };

export type RecordPolicyFunction = (tombstone: Tombstone | null, write: RecordWrite) => RecordResolution;

export const tombstonePolicy: RecordPolicyFunction = (tombstone, write) => {
  const incoming = stampOf(write);
  if (!tombstone) return write.action === 'delete' ? { outcome: 'applied', tombstone: incoming } : { outcome: 'proceed' };
  if (write.action === 'delete') {
    return {
      outcome: 'merged',
      tombstone: compareObservations(incoming, tombstone) < 0 ? incoming : tombstone,
      reason: `the record was already deleted by ${describeChange(tombstone)}`,
    };
  }
  return {
    outcome: 'rejected',
    reason: `update to a deleted record, kept for review: it was deleted by ${describeChange(tombstone)}`,
    flagged: true,
  };
};
