import { and, asc, desc, eq, getTableColumns, gte, lte, sql } from 'drizzle-orm';
import { canonicalize, ZERO_HASH, type JournalEntry, type SignedCheckpoint, decodeHlc, type Hlc, HLC_ZERO } from '../../protocol/index.js';
import type { DeviceDb } from '../open.js';
import { checkpoints, journal, outbox } from '../schema.js';
import { prepareOnce } from './statements.js';

export interface ChainTip {
  seq: number;
  head: string;
  hlc: Hlc;
}

/** The newest entry, or the newest checkpoint when everything has been compacted. */
export function readChainTip(db: DeviceDb): ChainTip {
  const selectLast = prepareOnce(db, 'journal.last', () =>
    db.select({ seq: journal.seq, hash: journal.hash, hlc: journal.hlc }).from(journal).orderBy(desc(journal.seq)).limit(1).prepare(),
  );
  const last = selectLast.get();
  if (last) return { seq: last.seq, head: last.hash, hlc: decodeHlc(last.hlc) };
  const checkpoint = latestCheckpoint(db);
  // The clock only needs to stay ahead of the folded entries, all made before the checkpoint.
  if (checkpoint) return { seq: checkpoint.manifest.toSeq, head: checkpoint.manifest.head, hlc: { wallMs: checkpoint.manifest.createdAt, counter: 0 } };
  return { seq: 0, head: ZERO_HASH, hlc: HLC_ZERO };
}

/** Appends a signed entry and marks it pending in the outbox; call inside the action's transaction. */
export function appendJournalEntry(db: DeviceDb, entry: JournalEntry, canonicalBody = canonicalize(entry.body)): void {
  const { body } = entry;
  const statements = prepareOnce(db, 'journal.append', () => ({
    // Every journal column is plain text or integer, so drizzle's column-bound placeholders bind as is.
    journal: db
      .insert(journal)
      .values(Object.fromEntries(Object.keys(getTableColumns(journal)).map((key) => [key, sql.placeholder(key)])) as never)
      .prepare(),
    outbox: db.insert(outbox).values({ seq: sql.placeholder('seq'), state: 'pending' }).prepare(),
  }));
  statements.journal.run({
    seq: body.seq,
    kind: body.kind,
    sessionId: body.sessionId,
    operatorId: body.operatorId,
    recordType: body.kind === 'record' ? body.recordType : null,
    recordId: body.kind === 'record' ? body.recordId : null,
    deviceTime: body.deviceTime,
    hlc: body.hlc,
    prevHash: body.prevHash,
    hash: entry.hash,
    signature: entry.signature,
    body: canonicalBody,
  } satisfies Record<keyof typeof journal.$inferInsert, unknown>);
  statements.outbox.run({ seq: body.seq });
}

function toEntry(row: { body: string; hash: string; signature: string }): JournalEntry {
  return { body: JSON.parse(row.body) as JournalEntry['body'], hash: row.hash, signature: row.signature };
}

export function listJournalEntries(db: DeviceDb, range: { fromSeq?: number; toSeq?: number; limit?: number } = {}): JournalEntry[] {
  const rows = db
    .select({ body: journal.body, hash: journal.hash, signature: journal.signature })
    .from(journal)
    .where(and(gte(journal.seq, range.fromSeq ?? 0), lte(journal.seq, range.toSeq ?? Number.MAX_SAFE_INTEGER)))
    .orderBy(asc(journal.seq))
    .limit(range.limit ?? -1)
    .all();
  return rows.map(toEntry);
}

export function listRecordHistory(db: DeviceDb, recordType: string, recordId: string): JournalEntry[] {
  return db
    .select({ body: journal.body, hash: journal.hash, signature: journal.signature })
    .from(journal)
    .where(and(eq(journal.recordType, recordType), eq(journal.recordId, recordId)))
    .orderBy(asc(journal.seq))
    .all()
    .map(toEntry);
}

export function countJournalEntries(db: DeviceDb): number {
  return db.select({ count: sql<number>`count(*)` }).from(journal).get()!.count;
}

export function listCheckpoints(db: DeviceDb): SignedCheckpoint[] {
  return db
    .select({ signed: checkpoints.signed })
    .from(checkpoints)
    .orderBy(asc(checkpoints.toSeq))
    .all()
    .map((row) => JSON.parse(row.signed) as SignedCheckpoint);
}

export function latestCheckpoint(db: DeviceDb): SignedCheckpoint | null {
  const row = db.select({ signed: checkpoints.signed }).from(checkpoints).orderBy(desc(checkpoints.toSeq)).limit(1).get();
  return row ? (JSON.parse(row.signed) as SignedCheckpoint) : null;
}
