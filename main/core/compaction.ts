import { eq, gte, and, lte } from 'drizzle-orm';
import { z } from 'zod';
import {
  type SignedCheckpoint,
  type Signer,
  JOURNAL_FORMAT_VERSION,
  merkleRoot,
  signCheckpoint,
} from '../../protocol/index.js';
import type { DeviceDb, Sqlite } from '../../db/open.js';
import { insertCheckpoint, pruneCheckpoints } from '../../db/queries/checkpoints.js';
import { latestCheckpoint, listJournalEntries } from '../../db/queries/journal.js';
import { acknowledgedPrefixEnd } from '../../db/queries/outbox.js';
import { readRecord } from '../../db/queries/records.js';
import { pruneFoldedSessions, sessionInForce } from '../../db/queries/sessions.js';
import { deleteRecordRow, forgetSeenConflicts, readSyncValue, writeSyncValue } from '../../db/queries/sync.js';
import { device, journal, outbox } from '../../db/schema.js';
import { outsideWindow } from '../../protocol/state-hash.js';
import type { Clock } from './ports.js';
import { evictableRecords, localState, type RecordRef } from './record-state.js';

export interface CompactionDeps {
  db: DeviceDb;
  sqlite: Sqlite;
  deviceId: string;
  deviceSigner: Signer;
  clock: Clock;
  /** The retention window's start: records closed before it are left out of the state hash. */
  closedBefore: number;
}

/** Upper bound of entries folded into one checkpoint, so compaction never holds a huge range in memory. */
export const MAX_ENTRIES_PER_CHECKPOINT = 5000;

export interface FoldLimits {
  /** At most this many entries (default MAX_ENTRIES_PER_CHECKPOINT). */
  maxEntries?: number;
  /** Nothing after this entry (the one the office's receipt anchors). */
  throughSeq?: number;
}

/**
 * Folds the oldest run of acknowledged entries into a signed checkpoint and removes them. All of it
 * is one transaction: after a crash either the entries are still there, or the checkpoint is.
 * The database itself refuses to delete an entry no checkpoint covers (migration 0001).
 */
export function compactOnce(deps: CompactionDeps, limits: FoldLimits = {}): SignedCheckpoint | null {
  const { db, sqlite, deviceId, deviceSigner, clock, closedBefore } = deps;
  return sqlite.transaction(() => {
    const ackedEnd = acknowledgedPrefixEnd(db);
    if (ackedEnd === null) return null;
    const toSeq = Math.min(ackedEnd, limits.throughSeq ?? ackedEnd);
    const entries = listJournalEntries(db, { toSeq, limit: Math.min(limits.maxEntries ?? MAX_ENTRIES_PER_CHECKPOINT, MAX_ENTRIES_PER_CHECKPOINT) });
    const first = entries[0];
    const last = entries.at(-1);
    if (!first || !last) return null;
    const checkpoint = signCheckpoint(
      {
        v: JOURNAL_FORMAT_VERSION,
        deviceId,
        fromSeq: first.body.seq,
        toSeq: last.body.seq,
        prevHead: first.body.prevHash,
        head: last.hash,
        merkleRoot: merkleRoot(entries.map((entry) => entry.hash)),
        // What the office must agree the device holds (protocol/state-hash.ts); the state check compares it.
        stateHash: localState(db, closedBefore).summary.root,
        session: sessionInForce(db, last.body.seq),
        createdAt: clock.now(),
      },
      deviceSigner,
    );
    insertCheckpoint(db, checkpoint);
    const range = (column: typeof journal.seq | typeof outbox.seq) => and(gte(column, first.body.seq), lte(column, last.body.seq));
    whileCompacting(db, () => {
      db.delete(journal).where(range(journal.seq)).run();
      db.delete(outbox).where(range(outbox.seq)).run();
    });
    return checkpoint;
  })();
}

/** Raises the flag the journal's and checkpoints' delete triggers check; call inside a transaction. */
function whileCompacting(db: DeviceDb, run: () => void): void {
  db.update(device).set({ compacting: 1 }).where(eq(device.singleton, 1)).run();
  run();
  db.update(device).set({ compacting: 0 }).where(eq(device.singleton, 1)).run();
}

/** Compacts until nothing acknowledged is left; returns the checkpoints made. */
export function compactAll(deps: CompactionDeps): SignedCheckpoint[] {
  const made: SignedCheckpoint[] = [];
  for (let checkpoint = compactOnce(deps); checkpoint; checkpoint = compactOnce(deps)) made.push(checkpoint);
  return made;
}

/**
 * How the app keeps the device database bounded in the background. Each transaction is small (a
 * few milliseconds), each run makes a bounded number of them and gives way between them, so an
 * action waits for one transaction at most; what a run leaves is done by the next one.
 */
export interface MaintenancePolicy {
  /** Entries folded into one checkpoint (one transaction). */
  entriesPerCheckpoint: number;
  /**
   * Fold only once this many anchored entries wait, or the oldest has waited `maxFoldWaitMs`:
   * each checkpoint carries a signed manifest and a session certificate, so a few large ones cost
   * less than many small ones.
   */
  minEntriesToFold: number;
  maxFoldWaitMs: number;
  /** Records evicted per transaction. */
  evictionsPerTransaction: number;
  transactionsPerRun: number;
  /** Checkpoints kept; older ones, superseded and covering entries the office holds, are deleted. */
  checkpointsKept: number;
}

export const DEFAULT_MAINTENANCE_POLICY: MaintenancePolicy = {
  entriesPerCheckpoint: 1000,
  minEntriesToFold: 500,
  maxFoldWaitMs: 24 * 60 * 60 * 1000,
  evictionsPerTransaction: 200,
  transactionsPerRun: 8,
  checkpointsKept: 8,
};

export interface MaintenanceDeps extends CompactionDeps {
  /** The last entry the office's receipt anchors: nothing after it is folded. */
  anchoredSeq: number;
  policy: MaintenancePolicy;
  /** Gives way to whatever waits (an action) between two transactions. */
  yieldNow(): Promise<void>;
}

export interface MaintenanceReport {
  at: number;
  checkpoints: number;
  entriesFolded: number;
  recordsEvicted: number;
  transactions: number;
  /** The run stopped at its bound with work left for the next one. */
  more: boolean;
}

/**
 * One bounded run: folds acknowledged, anchored entries into checkpoints, evicts synced records
 * closed before the window, and forgets checkpoints, session rows and seen conflicts nothing needs
 * any more.
 */
export async function maintain(deps: MaintenanceDeps): Promise<MaintenanceReport> {
  const { db, sqlite, clock, policy } = deps;
  const report: MaintenanceReport = { at: clock.now(), checkpoints: 0, entriesFolded: 0, recordsEvicted: 0, transactions: 0, more: false };
  const budgetLeft = () => report.transactions < policy.transactionsPerRun && sqlite.open;
  const step = async <T>(run: () => T): Promise<T> => {
    report.transactions++;
    const result = run();
    await deps.yieldNow();
    return result;
  };

  while (budgetLeft() && foldDue(deps)) {
    const checkpoint = await step(() => compactOnce(deps, { maxEntries: policy.entriesPerCheckpoint, throughSeq: deps.anchoredSeq }));
    if (!checkpoint) break;
    report.checkpoints++;
    report.entriesFolded += checkpoint.manifest.toSeq - checkpoint.manifest.fromSeq + 1;
  }

  const evictable = budgetLeft() ? evictableRecords(db, deps.closedBefore) : [];
  for (let start = 0; start < evictable.length && budgetLeft(); start += policy.evictionsPerTransaction) {
    report.recordsEvicted += await step(() => sqlite.transaction(() => evict(deps, evictable.slice(start, start + policy.evictionsPerTransaction)))());
  }

  if (budgetLeft()) {
    await step(() =>
      sqlite.transaction(() => {
        const folded = latestCheckpoint(db)?.manifest.toSeq;
        if (folded !== undefined) pruneFoldedSessions(db, folded);
        whileCompacting(db, () => pruneCheckpoints(db, policy.checkpointsKept));
        forgetSeenConflicts(db, deps.closedBefore);
      })(),
    );
  }
  // The app quit meanwhile: the next run, after the next start, goes on.
  if (!sqlite.open) return report;
  report.more = !budgetLeft() && (foldDue(deps) || evictable.length > report.recordsEvicted);
  writeSyncValue(db, 'maintenance.last', { lastRun: report, lastError: null } satisfies MaintenanceDiagnostics);
  return report;
}

const maintenanceDiagnosticsSchema = z.object({
  lastRun: z
    .object({ at: z.number(), checkpoints: z.number(), entriesFolded: z.number(), recordsEvicted: z.number(), transactions: z.number(), more: z.boolean() })
    .nullable(),
  lastError: z.object({ message: z.string(), at: z.number() }).nullable(),
});
export type MaintenanceDiagnostics = z.infer<typeof maintenanceDiagnosticsSchema>;

export function readMaintenanceDiagnostics(db: DeviceDb): MaintenanceDiagnostics {
  return maintenanceDiagnosticsSchema.safeParse(readSyncValue(db, 'maintenance.last')).data ?? { lastRun: null, lastError: null };
}

/** A run that failed (the disk is full, say) leaves the last good run's figures and says why. */
export function noteMaintenanceFailure(db: DeviceDb, error: unknown, at: number): void {
  const message = error instanceof Error ? error.message : String(error);
  writeSyncValue(db, 'maintenance.last', { ...readMaintenanceDiagnostics(db), lastError: { message, at } } satisfies MaintenanceDiagnostics);
}

/** Whether enough anchored entries wait (or one has waited long enough) to be worth a checkpoint. */
function foldDue(deps: MaintenanceDeps): boolean {
  const { db, clock, policy } = deps;
  const ackedEnd = acknowledgedPrefixEnd(db);
  const first = listJournalEntries(db, { limit: 1 })[0];
  if (ackedEnd === null || !first) return false;
  const waiting = Math.min(ackedEnd, deps.anchoredSeq) - first.body.seq + 1;
  if (waiting <= 0) return false;
  return waiting >= policy.minEntriesToFold || clock.now() - first.body.deviceTime >= policy.maxFoldWaitMs;
}

/** Removes the records that are still synced and closed before the window (the user may have acted since). */
function evict(deps: MaintenanceDeps, refs: readonly RecordRef[]): number {
  let evicted = 0;
  for (const { type, id } of refs) {
    const record = readRecord(deps.db, type, id);
    if (record?.syncState !== 'synced' || !outsideWindow(type, record.fields, deps.closedBefore)) continue;
    deleteRecordRow(deps.db, type, id);
    evicted++;
  }
  return evicted;
}
