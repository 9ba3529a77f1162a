import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { insertRows } from './batches.js';
import { changes, counters, operators, recordVersions, recordWrites, records } from '../schema.js';

/** The change feed devices pull from. */
export const CHANGE_FEED_COUNTER = 'change_feed';

export type PendingChange =
  | { kind: 'record'; siteId: string; recordType: string; recordId: string; version: number }
  | { kind: 'operator'; siteId: string; operatorId: string };

/**
 * Appends changes with ids from the counter row. Call it as the last write of the transaction:
 * the row lock it takes is held until commit, so the next writer gets higher ids only after these
 * are visible, and a reader paging by id never passes over a change still to commit.
 */
export async function appendChanges(db: OfficeDb, pending: readonly PendingChange[]): Promise<void> {
  if (pending.length === 0) return;
  const [counter] = await db
    .update(counters)
    .set({ value: sql`${counters.value} + ${pending.length}` })
    .where(eq(counters.name, CHANGE_FEED_COUNTER))
    .returning({ value: counters.value });
  if (!counter) throw new Error('change feed counter is missing; run the migrations');
  const firstId = counter.value - pending.length + 1;
  const rows = pending.map((change, index) => ({
    id: firstId + index,
    siteId: change.siteId,
    kind: change.kind,
    recordType: change.kind === 'record' ? change.recordType : null,
    recordId: change.kind === 'record' ? change.recordId : null,
    version: change.kind === 'record' ? change.version : null,
    operatorId: change.kind === 'operator' ? change.operatorId : null,
  }));
  await insertRows(db, changes, rows);
}

export interface ChangeRow {
  id: number;
  kind: 'record' | 'operator';
  record: {
    type: string;
    id: string;
    version: number;
    fields: Record<string, unknown>;
    deleted: boolean;
    pendingReview: boolean;
    /** The device whose push made this version (null for the office's writes). */
    authorDeviceId: string | null;
    /** The record as it stands now: is this still its version, and does the site still see it? */
    current: { version: number; audience: readonly string[] } | null;
  } | null;
  operator: typeof operators.$inferSelect | null;
}

/** Changes for one site after `afterId`, oldest first: record versions as they were, operators as they are. */
export async function readChangesAfter(db: OfficeDb, siteId: string, afterId: number, limit: number): Promise<ChangeRow[]> {
  const rows = await db
    .select({
      id: changes.id,
      kind: changes.kind,
      recordType: changes.recordType,
      recordId: changes.recordId,
      version: changes.version,
      fields: recordVersions.fields,
      deleted: recordVersions.deleted,
      pendingReview: recordVersions.pendingReview,
      authorDeviceId: recordWrites.deviceId,
      currentVersion: records.version,
      currentAudience: records.audience,
      operator: operators,
    })
    .from(changes)
    .leftJoin(
      recordVersions,
      and(eq(recordVersions.type, changes.recordType), eq(recordVersions.id, changes.recordId), eq(recordVersions.version, changes.version)),
    )
    .leftJoin(recordWrites, eq(recordWrites.id, recordVersions.writeId))
    .leftJoin(records, and(eq(records.type, changes.recordType), eq(records.id, changes.recordId)))
    .leftJoin(operators, eq(operators.id, changes.operatorId))
    .where(and(eq(changes.siteId, siteId), gt(changes.id, afterId)))
    .orderBy(asc(changes.id))
    .limit(limit);
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    record:
      row.kind === 'record' && row.fields !== null
        ? {
            type: row.recordType!,
            id: row.recordId!,
            version: row.version!,
            fields: row.fields,
            deleted: row.deleted!,
            pendingReview: row.pendingReview!,
            authorDeviceId: row.authorDeviceId,
            current: row.currentVersion === null ? null : { version: row.currentVersion, audience: row.currentAudience ?? [] },
          }
        : null,
    operator: row.kind === 'operator' ? row.operator : null,
  }));
}
