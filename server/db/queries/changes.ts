import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { insertRows } from './batches.js';
import { recordKey } from './records.js';
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

export interface ToldVersion {
  version: number;
  fields: Record<string, unknown>;
  deleted: boolean;
}

/**
 * For each record, the last version the site's feed told of at or before change `atId`, as it was:
 * what a device that has pulled up to there holds (unless it has since heard of a later one).
 * Records the feed had not told of by then are left out.
 */
export async function readToldVersions(db: OfficeDb, siteId: string, atId: number, keys: readonly { type: string; id: string }[]): Promise<Map<string, ToldVersion>> {
  const told = new Map<string, ToldVersion>();
  if (keys.length === 0 || atId <= 0) return told;
  const types = keys.map((key) => key.type);
  const ids = keys.map((key) => key.id);
  const result = (await db.execute(sql`
    SELECT k.type, k.id, v.version, v.fields, v.deleted
    FROM unnest(${sql.param(types)}::text[], ${sql.param(ids)}::text[]) AS k(type, id)
    CROSS JOIN LATERAL (
      SELECT c.version FROM ${changes} c
      WHERE c.site_id = ${siteId} AND c.record_type = k.type AND c.record_id = k.id AND c.id <= ${atId}
      ORDER BY c.id DESC LIMIT 1
    ) last
    JOIN ${recordVersions} v ON v.type = k.type AND v.id = k.id AND v.version = last.version`)) as unknown as {
    rows: { type: string; id: string; version: number; fields: Record<string, unknown>; deleted: boolean }[];
  };
  for (const row of result.rows) told.set(recordKey(row.type, row.id), { version: Number(row.version), fields: row.fields, deleted: row.deleted });
  return told;
}
