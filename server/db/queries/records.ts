import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { type ServerRecord, recordVersions, recordWrites, records, reviewItems } from '../schema.js';

/** Canonical records, their versions, the write history and review items. */

export interface RecordKey {
  type: string;
  id: string;
}

export function recordKey(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

function keyList(keys: readonly RecordKey[]): SQL {
  return sql`(${records.type}, ${records.id}) IN (${sql.join(
    keys.map((key) => sql`(${key.type}, ${key.id})`),
    sql`, `,
  )})`;
}

function uniqueSorted(keys: readonly RecordKey[]): RecordKey[] {
  const byKey = new Map(keys.map((key) => [recordKey(key.type, key.id), key]));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
}

/**
 * Reads and row-locks records for the rest of the transaction, in key order so that two writers
 * touching the same records cannot deadlock.
 */
export async function lockRecords(db: OfficeDb, keys: readonly RecordKey[]): Promise<Map<string, ServerRecord>> {
  const sorted = uniqueSorted(keys);
  if (sorted.length === 0) return new Map();
  const rows = await db.select().from(records).where(keyList(sorted)).orderBy(asc(records.type), asc(records.id)).for('update');
  return new Map(rows.map((row) => [recordKey(row.type, row.id), row]));
}

export async function findRecords(db: OfficeDb, keys: readonly RecordKey[]): Promise<Map<string, ServerRecord>> {
  const sorted = uniqueSorted(keys);
  if (sorted.length === 0) return new Map();
  const rows = await db.select().from(records).where(keyList(sorted));
  return new Map(rows.map((row) => [recordKey(row.type, row.id), row]));
}

export async function findRecord(db: OfficeDb, type: string, id: string): Promise<ServerRecord | null> {
  const [row] = await db.select().from(records).where(and(eq(records.type, type), eq(records.id, id)));
  return row ?? null;
}

export async function upsertRecords(db: OfficeDb, states: readonly ServerRecord[]): Promise<void> {
  if (states.length === 0) return;
  const excluded = (column: string) => sql.raw(`excluded."${column}"`);
  await db
    .insert(records)
    .values([...states])
    .onConflictDoUpdate({
      target: [records.type, records.id],
      set: {
        audience: excluded('audience'),
        version: excluded('version'),
        fields: excluded('fields'),
        fieldStates: excluded('field_states'),
        tombstone: excluded('tombstone'),
        deleted: excluded('deleted'),
        pendingReview: excluded('pending_review'),
        updatedAt: excluded('updated_at'),
      },
    });
}

/** Ids for write-history rows, taken up front so versions and review items can name their write. */
export async function reserveWriteIds(db: OfficeDb, count: number): Promise<number[]> {
  if (count === 0) return [];
  const result = (await db.execute(
    sql`SELECT nextval(pg_get_serial_sequence('record_writes', 'id')) AS id FROM generate_series(1, ${count})`,
  )) as unknown as { rows: { id: string | number | bigint }[] };
  return result.rows.map((row) => Number(row.id));
}

export async function insertRecordWrites(db: OfficeDb, rows: readonly (typeof recordWrites.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await db.insert(recordWrites).values([...rows]);
}

export async function insertRecordVersions(db: OfficeDb, rows: readonly (typeof recordVersions.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await db.insert(recordVersions).values([...rows]);
}

export async function insertReviewItems(db: OfficeDb, rows: readonly (typeof reviewItems.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await db.insert(reviewItems).values([...rows]);
}
