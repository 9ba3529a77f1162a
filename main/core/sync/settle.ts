import { isDeepStrictEqual } from 'node:util';
import type { DeviceDb } from '../../../db/open.js';
import { readRecord, type StoredRecord, writeRecord } from '../../../db/queries/records.js';
import { deleteRecordRow, listPendingRecordEntries } from '../../../db/queries/sync.js';
import { applyAction, emptyValue, type RecordState } from '../../../protocol/operations.js';
import { type RecordType, type RecordTypeSpec, recordTypeSpec } from '../../../protocol/records/index.js';
import { applyFieldsDelta } from '../../../protocol/record-delta.js';
import type { CanonicalRecord, RecordDelta } from '../../../protocol/wire.js';

/**
 * Who changed a record that arrived by sync: the office or another device. The office's audit
 * history of the record says exactly who.
 */
export const REMOTE_AUTHOR = 'remote';

/**
 * Makes a record's local copy the office's canonical state with this device's still-pending
 * operations re-applied on top (the same rules as the write path), so the user keeps seeing their
 * unsent work. `canonical` null means the office has no such record (its creation was rejected).
 *
 * Versions only move forward: a canonical state older than the one the copy is based on (a pull
 * page that lags a push answer) changes nothing. Call inside a transaction.
 */
export function settleRecord(db: DeviceDb, type: string, id: string, canonical: CanonicalRecord | null, now: number): void {
  const spec = recordTypeSpec(type);
  // A record type this build does not know yet: the app cannot show it, the office keeps it.
  if (!spec) return;
  const recordType = type as RecordType;
  const local = readRecord(db, recordType, id);
  const heldVersion = local?.serverVersion ?? null;
  if (heldVersion !== null && (canonical === null || canonical.version < heldVersion)) return;

  let state: RecordState | null = canonical ? { fields: canonicalFields(spec, canonical.fields), deleted: canonical.deleted } : null;
  const pending = listPendingRecordEntries(db, recordType, id);
  for (const { body } of pending) {
    // An operation that no longer applies (the record was deleted meanwhile) stays in the
    // outbox: the office decides on it and the answer settles the record again.
    const applied = applyAction(spec, state, body.action, body.ops);
    if (applied.ok) state = applied.state;
  }
  if (!state) {
    if (local) deleteRecordRow(db, recordType, id);
    return;
  }
  const changed = !local || local.deleted !== state.deleted || !isDeepStrictEqual(local.fields, state.fields);
  const settled: StoredRecord = {
    type: recordType,
    id,
    fields: state.fields,
    deleted: state.deleted,
    serverVersion: canonical?.version ?? null,
    lastSeq: local?.lastSeq ?? 0,
    syncState: pending.length === 0 ? 'synced' : canonical ? 'pending' : 'local',
    pendingReview: canonical?.pendingReview ?? false,
    createdAt: local?.createdAt ?? now,
    createdBy: local?.createdBy ?? REMOTE_AUTHOR,
    updatedAt: changed ? now : local.updatedAt,
    updatedBy: changed ? REMOTE_AUTHOR : local.updatedBy,
  };
  writeRecord(db, settled);
}

/**
 * Settles a record from a pull's delta when the copy is the version the delta is against, with no
 * unsent work on it (its fields are then exactly that version's). False: the copy is another
 * version, or holds unsent work, and the record must be fetched whole. Call inside a transaction.
 */
export function settleRecordDelta(db: DeviceDb, delta: RecordDelta, now: number): boolean {
  if (!recordTypeSpec(delta.type)) return true;
  const recordType = delta.type as RecordType;
  const local = readRecord(db, recordType, delta.id);
  if (local?.serverVersion != null && local.serverVersion >= delta.version) return true;
  if (!local || local.serverVersion !== delta.baseVersion || listPendingRecordEntries(db, recordType, delta.id).length > 0) return false;
  const { type, id, version, deleted, pendingReview } = delta;
  settleRecord(db, type, id, { type, id, version, deleted, pendingReview, fields: applyFieldsDelta(local.fields, delta) }, now);
  return true;
}

/** The canonical fields this build knows, each present (a field the office left out is empty). */
function canonicalFields(spec: RecordTypeSpec, fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec.fields).map(([name, field]) => [name, Object.hasOwn(fields, name) ? fields[name] : emptyValue(field)]));
}
