import type { DeviceDb, Sqlite } from '../../../db/open.js';
import { type FailedRow, findFailed, listFailed, resolveFailed } from '../../../db/queries/sync.js';
import type { FieldOperation, RecordAction } from '../../../protocol/journal.js';
import { CoreError, storageError } from '../errors.js';
import { appendSignedEntry } from '../journal-writer.js';
import type { Clock } from '../ports.js';
import type { SessionManager } from '../sessions.js';
import type { ActionResult } from '../write-path.js';

/**
 * The failed list: entries the office acknowledged but rejected. They never block the rest of the
 * queue; an operator retries one (the same operations as a new action on today's state) or
 * discards it (a signed journal entry records who gave it up).
 */
export interface FailedEntry {
  seq: number;
  /** The entry's hash: a discard names the entry it gives up by sequence number and hash. */
  hash: string;
  recordType: string;
  recordId: string;
  action: RecordAction;
  ops: FieldOperation[];
  /** Who made the change, and when (device time). */
  operatorId: string;
  deviceTime: number;
  /** The office's machine-readable reason and its explanation. */
  reason: string;
  message: string;
  failedAt: number;
}

export function listFailedEntries(db: DeviceDb): FailedEntry[] {
  return listFailed(db).flatMap(toFailedEntry);
}

function toFailedEntry(row: FailedRow): FailedEntry[] {
  const { body } = row.entry;
  // Only record entries can be rejected; anything else would be an office bug, shown as is.
  if (body.kind !== 'record') return [];
  return [
    {
      seq: row.seq,
      hash: row.entry.hash,
      recordType: body.recordType,
      recordId: body.recordId,
      action: body.action,
      ops: body.ops,
      operatorId: body.operatorId,
      deviceTime: body.deviceTime,
      reason: row.failure.reason,
      message: row.failure.message,
      failedAt: row.failedAt,
    },
  ];
}

function requireFailed(db: DeviceDb, seq: number): FailedEntry {
  const row = findFailed(db, seq);
  const entry = row ? toFailedEntry(row)[0] : undefined;
  if (!entry) throw new CoreError('invalid-input', `entry ${seq} is not in the failed list (already retried, discarded or never rejected)`);
  return entry;
}

interface FailedDeps {
  db: DeviceDb;
  sqlite: Sqlite;
  clock: Clock;
  perform(input: unknown): ActionResult;
}

/**
 * Performs the failed entry's operations again, as a new action signed by whoever is signed in
 * now, on the record as it stands. If the action is refused here, the entry stays in the list.
 */
export function retryFailedEntry(deps: FailedDeps, seq: number): ActionResult {
  const { db, sqlite, clock } = deps;
  return sqlite.transaction(() => {
    const failed = requireFailed(db, seq);
    const result = deps.perform({ recordType: failed.recordType, recordId: failed.recordId, action: failed.action, ops: failed.ops });
    resolveFailed(db, seq, { kind: 'retried', asSeq: result.seq, at: clock.now() });
    return result;
  })();
}

interface DiscardDeps {
  db: DeviceDb;
  sqlite: Sqlite;
  deviceId: string;
  clock: Clock;
  sessions: SessionManager;
}

/** Gives up a failed entry; returns the sequence number of the signed discard entry. */
export function discardFailedEntry(deps: DiscardDeps, seq: number): number {
  const { db, sqlite, deviceId, clock, sessions } = deps;
  const session = sessions.requireActive();
  let discardSeq: number;
  try {
    discardSeq = sqlite.transaction(() => {
      const failed = requireFailed(db, seq);
      const entry = appendSignedEntry(db, deviceId, clock, session, { kind: 'entry.discard', discardedSeq: seq, discardedHash: failed.hash });
      resolveFailed(db, seq, { kind: 'discarded', bySeq: entry.body.seq, at: entry.body.deviceTime });
      return entry.body.seq;
    })();
  } catch (error) {
    throw storageError(error);
  }
  sessions.noteEntry();
  return discardSeq;
}
