import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { DeviceDb } from '../open.js';
import { journal, outbox } from '../schema.js';

export function countOutbox(db: DeviceDb): Record<'pending' | 'acknowledged' | 'failed', number> {
  const counts = { pending: 0, acknowledged: 0, failed: 0 };
  for (const row of db.select({ state: outbox.state, count: sql<number>`count(*)` }).from(outbox).groupBy(outbox.state).all()) {
    counts[row.state] = row.count;
  }
  return counts;
}

/** The device time of the oldest entry still waiting to be sent, or null when none waits. */
export function oldestPendingDeviceTime(db: DeviceDb): number | null {
  const row = db
    .select({ deviceTime: journal.deviceTime })
    .from(outbox)
    .innerJoin(journal, eq(journal.seq, outbox.seq))
    .where(eq(outbox.state, 'pending'))
    .orderBy(asc(outbox.seq))
    .limit(1)
    .get();
  return row?.deviceTime ?? null;
}

/**
 * Pending entries that are someone's change to a record: what the operator thinks of as waiting to
 * send. The session and audit entries every sign-in writes go up too, but are nobody's change.
 */
export function countPendingChanges(db: DeviceDb): number {
  return (
    db
      .select({ count: sql<number>`count(*)` })
      .from(outbox)
      .innerJoin(journal, eq(journal.seq, outbox.seq))
      .where(and(eq(outbox.state, 'pending'), eq(journal.kind, 'record')))
      .get()?.count ?? 0
  );
}

export function listPendingSeqs(db: DeviceDb, limit: number): number[] {
  return db
    .select({ seq: outbox.seq })
    .from(outbox)
    .where(eq(outbox.state, 'pending'))
    .orderBy(asc(outbox.seq))
    .limit(limit)
    .all()
    .map((row) => row.seq);
}

export function markAcknowledged(db: DeviceDb, seqs: readonly number[], at: number): void {
  if (seqs.length === 0) return;
  db.update(outbox).set({ state: 'acknowledged', acknowledgedAt: at }).where(inArray(outbox.seq, [...seqs])).run();
}

/** The highest seq such that it and every entry before it still in the outbox are acknowledged. */
export function acknowledgedPrefixEnd(db: DeviceDb): number | null {
  const firstUnacked = db
    .select({ seq: sql<number | null>`min(${outbox.seq})` })
    .from(outbox)
    .where(sql`${outbox.state} <> 'acknowledged'`)
    .get()?.seq;
  const row = db
    .select({ seq: sql<number | null>`max(${outbox.seq})` })
    .from(outbox)
    .where(and(eq(outbox.state, 'acknowledged'), firstUnacked == null ? undefined : lte(outbox.seq, firstUnacked - 1)))
    .get();
  return row?.seq ?? null;
}
