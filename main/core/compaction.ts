import { eq, gte, and, lte } from 'drizzle-orm';
import {
  type SignedCheckpoint,
  type Signer,
  canonicalBytes,
  JOURNAL_FORMAT_VERSION,
  merkleRoot,
  sha256Hex,
  signCheckpoint,
} from '../../protocol/index.js';
import type { DeviceDb, Sqlite } from '../../db/open.js';
import { insertCheckpoint } from '../../db/queries/checkpoints.js';
import { listJournalEntries } from '../../db/queries/journal.js';
import { acknowledgedPrefixEnd } from '../../db/queries/outbox.js';
import { allRecords } from '../../db/queries/records.js';
import { sessionInForce } from '../../db/queries/sessions.js';
import { device, journal, outbox } from '../../db/schema.js';
import type { Clock } from './ports.js';

export interface CompactionDeps {
  db: DeviceDb;
  sqlite: Sqlite;
  deviceId: string;
  deviceSigner: Signer;
  clock: Clock;
}

/** Upper bound of entries folded into one checkpoint, so compaction never holds a huge range in memory. */
export const MAX_ENTRIES_PER_CHECKPOINT = 5000;

/**
 * Folds the oldest run of acknowledged entries into a signed checkpoint and removes them. All of it
 * is one transaction: after a crash either the entries are still there, or the checkpoint is.
 * The database itself refuses to delete an entry no checkpoint covers (migration 0001).
 */
export function compactOnce(deps: CompactionDeps): SignedCheckpoint | null {
  const { db, sqlite, deviceId, deviceSigner, clock } = deps;
  return sqlite.transaction(() => {
    const ackedEnd = acknowledgedPrefixEnd(db);
    if (ackedEnd === null) return null;
    const entries = listJournalEntries(db, { toSeq: ackedEnd, limit: MAX_ENTRIES_PER_CHECKPOINT });
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
        stateHash: materializedStateHash(db),
        session: sessionInForce(db, last.body.seq),
        createdAt: clock.now(),
      },
      deviceSigner,
    );
    insertCheckpoint(db, checkpoint);
    const range = (column: typeof journal.seq | typeof outbox.seq) => and(gte(column, first.body.seq), lte(column, last.body.seq));
    db.update(device).set({ compacting: 1 }).where(eq(device.singleton, 1)).run();
    db.delete(journal).where(range(journal.seq)).run();
    db.delete(outbox).where(range(outbox.seq)).run();
    db.update(device).set({ compacting: 0 }).where(eq(device.singleton, 1)).run();
    return checkpoint;
  })();
}

/** Compacts until nothing acknowledged is left; returns the checkpoints made. */
export function compactAll(deps: CompactionDeps): SignedCheckpoint[] {
  const made: SignedCheckpoint[] = [];
  for (let checkpoint = compactOnce(deps); checkpoint; checkpoint = compactOnce(deps)) made.push(checkpoint);
  return made;
}

/** Hash of every materialized record, so a checkpoint pins the state the folded entries produced. */
export function materializedStateHash(db: DeviceDb): string {
  const records = allRecords(db)
    .map((record) => [record.type, record.id, record.fields, record.deleted] as const)
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
  return sha256Hex(canonicalBytes(records));
}
