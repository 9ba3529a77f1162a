import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { JournalEntry, RecordEntryBody } from '../../protocol/journal.js';
import type { RecordType } from '../../protocol/records/index.js';
import type { DeviceDb } from '../open.js';
import { conflictInbox, journal, operators, outbox, recordTables, syncState } from '../schema.js';
import { prepareOnce } from './statements.js';

/**
 * What the sync client keeps in the device database: its key/value state (enrollment, pull
 * cursor, anchor receipt), the outbox marks it moves, the conflict inbox and the failed list.
 */

export type SyncStateKey =
  | 'enrollment'
  | 'pull.cursor'
  | 'pull.wholeRecords'
  | 'anchor'
  | 'sync.lastSuccessAt'
  | 'clock.sample'
  | 'site.pinMinLength'
  | 'maintenance.last'
  | 'maintenance.stateCheck'
  | 'uploads.lastPass';

export function readSyncValue(db: DeviceDb, key: SyncStateKey): unknown {
  return db.select({ value: syncState.value }).from(syncState).where(eq(syncState.key, key)).get()?.value ?? null;
}

export function writeSyncValue(db: DeviceDb, key: SyncStateKey, value: unknown): void {
  db.insert(syncState).values({ key, value }).onConflictDoUpdate({ target: syncState.key, set: { value } }).run();
}

function toEntry(row: { body: string; hash: string; signature: string }): JournalEntry {
  return { body: JSON.parse(row.body) as JournalEntry['body'], hash: row.hash, signature: row.signature };
}

const entryColumns = { body: journal.body, hash: journal.hash, signature: journal.signature };

/** The oldest pending entries, in sequence order: the next push batch. */
export function listPendingEntries(db: DeviceDb, limit: number): JournalEntry[] {
  return db
    .select(entryColumns)
    .from(outbox)
    .innerJoin(journal, eq(journal.seq, outbox.seq))
    .where(eq(outbox.state, 'pending'))
    .orderBy(asc(outbox.seq))
    .limit(limit)
    .all()
    .map(toEntry);
}

/** A record's local operations the office has not acknowledged yet, oldest first. */
export function listPendingRecordEntries(db: DeviceDb, recordType: RecordType, recordId: string): (JournalEntry & { body: RecordEntryBody })[] {
  // Runs for every record a push answer or pull page settles.
  const select = prepareOnce(db, 'sync.pendingRecordEntries', () =>
    db
      .select(entryColumns)
      .from(journal)
      .innerJoin(outbox, eq(outbox.seq, journal.seq))
      .where(and(eq(journal.recordType, sql.placeholder('recordType')), eq(journal.recordId, sql.placeholder('recordId')), eq(outbox.state, 'pending')))
      .orderBy(asc(journal.seq))
      .prepare(),
  );
  return select.all({ recordType, recordId }).map(toEntry) as (JournalEntry & { body: RecordEntryBody })[];
}

export function readJournalEntry(db: DeviceDb, seq: number): JournalEntry | null {
  const row = db.select(entryColumns).from(journal).where(eq(journal.seq, seq)).get();
  return row ? toEntry(row) : null;
}

/** The outbox state of each of `seqs` that is still in the outbox. */
export function readOutboxStates(db: DeviceDb, seqs: readonly number[]): Map<number, 'pending' | 'acknowledged' | 'failed'> {
  if (seqs.length === 0) return new Map();
  const rows = db.select({ seq: outbox.seq, state: outbox.state }).from(outbox).where(inArray(outbox.seq, [...seqs])).all();
  return new Map(rows.map((row) => [row.seq, row.state]));
}

/** The office did not take these entries (chain verification): they stay pending and go again. */
export function noteUnacknowledged(db: DeviceDb, seq: number, error: string): void {
  db.update(outbox)
    .set({ attempts: sql`${outbox.attempts} + 1`, lastError: error })
    .where(and(eq(outbox.seq, seq), eq(outbox.state, 'pending')))
    .run();
}

/** What the failed list shows and what retry or discard needs: the office's result, kept verbatim. */
export interface FailedResult {
  reason: string;
  message: string;
  /** How the operator settled it, once they did. */
  resolution?: { kind: 'retried'; asSeq: number; at: number } | { kind: 'discarded'; bySeq: number; at: number };
}

export function markFailed(db: DeviceDb, seq: number, failure: FailedResult, at: number): void {
  db.update(outbox)
    .set({ state: 'failed', lastError: failure.message, result: JSON.stringify(failure), acknowledgedAt: at, attempts: sql`${outbox.attempts} + 1` })
    .where(eq(outbox.seq, seq))
    .run();
}

export interface FailedRow {
  seq: number;
  failure: FailedResult;
  failedAt: number;
  entry: JournalEntry;
}

export function listFailed(db: DeviceDb): FailedRow[] {
  return db
    .select({ seq: outbox.seq, result: outbox.result, acknowledgedAt: outbox.acknowledgedAt, ...entryColumns })
    .from(outbox)
    .innerJoin(journal, eq(journal.seq, outbox.seq))
    .where(eq(outbox.state, 'failed'))
    .orderBy(asc(outbox.seq))
    .all()
    .map((row) => ({ seq: row.seq, failure: JSON.parse(row.result ?? '{}') as FailedResult, failedAt: row.acknowledgedAt ?? 0, entry: toEntry(row) }));
}

export function findFailed(db: DeviceDb, seq: number): FailedRow | null {
  return listFailed(db).find((row) => row.seq === seq) ?? null;
}

/**
 * The operator settled a failed entry: it leaves the failed list and, being acknowledged by the
 * office, may be compacted like any other. Returns false when it was not (or no longer) failed.
 */
export function resolveFailed(db: DeviceDb, seq: number, resolution: NonNullable<FailedResult['resolution']>): boolean {
  const row = db.select({ result: outbox.result }).from(outbox).where(and(eq(outbox.seq, seq), eq(outbox.state, 'failed'))).get();
  if (!row) return false;
  const failure = { ...(JSON.parse(row.result ?? '{}') as FailedResult), resolution };
  db.update(outbox).set({ state: 'acknowledged', result: JSON.stringify(failure) }).where(eq(outbox.seq, seq)).run();
  return true;
}

export type ConflictRow = typeof conflictInbox.$inferSelect;
export type NewConflict = Omit<typeof conflictInbox.$inferInsert, 'id' | 'seenAt'>;

export function insertConflict(db: DeviceDb, conflict: NewConflict): void {
  db.insert(conflictInbox).values(conflict).run();
}

export interface ConflictFilter {
  unseenOnly?: boolean;
  /** Only this operator's items (and those from before items had an operator); all when absent. */
  operatorId?: string;
}

export function listConflicts(db: DeviceDb, options: ConflictFilter = {}): ConflictRow[] {
  return db
    .select()
    .from(conflictInbox)
    .where(
      and(
        options.unseenOnly ? isNull(conflictInbox.seenAt) : undefined,
        options.operatorId === undefined ? undefined : or(eq(conflictInbox.operatorId, options.operatorId), isNull(conflictInbox.operatorId)),
      ),
    )
    .orderBy(desc(conflictInbox.id))
    .all();
}

export function markConflictSeen(db: DeviceDb, id: number, at: number): boolean {
  return db.update(conflictInbox).set({ seenAt: at }).where(and(eq(conflictInbox.id, id), isNull(conflictInbox.seenAt))).run().changes > 0;
}

/** Forgets conflicts the user has seen that arose before `before`; the office keeps their history. */
export function forgetSeenConflicts(db: DeviceDb, before: number): number {
  return db.delete(conflictInbox).where(and(isNotNull(conflictInbox.seenAt), lt(conflictInbox.createdAt, before))).run().changes;
}

/** An operator as the office syncs them: the row the device signs them in with. */
export type SyncedOperatorRow = typeof operators.$inferInsert;

/**
 * Inserts or updates an operator. A badge the office moved to another operator is taken from the
 * one who had it (badges are unique on the device); wrong PINs are counted per badge, not here.
 */
export function replaceOperator(db: DeviceDb, operator: SyncedOperatorRow): void {
  db.delete(operators).where(and(eq(operators.badgeId, operator.badgeId), ne(operators.operatorId, operator.operatorId))).run();
  const { operatorId: _id, ...changes } = operator;
  db.insert(operators).values(operator).onConflictDoUpdate({ target: operators.operatorId, set: changes }).run();
}

export function removeOperator(db: DeviceDb, operatorId: string): void {
  db.delete(operators).where(eq(operators.operatorId, operatorId)).run();
}

/** Removes a local record the office does not have (its creation was rejected). */
export function deleteRecordRow(db: DeviceDb, type: RecordType, id: string): void {
  const table = recordTables[type];
  db.delete(table).where(eq(table.id, id)).run();
}
