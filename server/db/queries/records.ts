import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { inSlices, insertRows } from './batches.js';
import { type ServerRecord, recordVersions, recordWrites, records, reviewItems } from '../schema.js';

/** Canonical records, their versions, the write history and review items. */

export interface RecordKey {
  type: string;
  id: string;
}

export function recordKey(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

/**
 * Keys as two array parameters: Postgres plans a semi-join on the primary key, where a list of
 * row constructors becomes an OR of hundreds of conditions that costs more to plan than to run.
 */
function keyList(keys: readonly RecordKey[]): SQL {
  const types = keys.map((key) => key.type);
  const ids = keys.map((key) => key.id);
  return sql`(${records.type}, ${records.id}) IN (SELECT * FROM unnest(${sql.param(types)}::text[], ${sql.param(ids)}::text[]))`;
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
  const found = new Map<string, ServerRecord>();
  // Slices in key order keep the overall locking order.
  await inSlices(uniqueSorted(keys), async (slice) => {
    const rows = await db.select().from(records).where(keyList(slice)).orderBy(asc(records.type), asc(records.id)).for('update');
    for (const row of rows) found.set(recordKey(row.type, row.id), row);
  });
  return found;
}

export async function findRecords(db: OfficeDb, keys: readonly RecordKey[]): Promise<Map<string, ServerRecord>> {
  const found = new Map<string, ServerRecord>();
  await inSlices(uniqueSorted(keys), async (slice) => {
    for (const row of await db.select().from(records).where(keyList(slice))) found.set(recordKey(row.type, row.id), row);
  });
  return found;
}

export async function findRecord(db: OfficeDb, type: string, id: string): Promise<ServerRecord | null> {
  const [row] = await db.select().from(records).where(and(eq(records.type, type), eq(records.id, id)));
  return row ?? null;
}

export async function upsertRecords(db: OfficeDb, states: readonly ServerRecord[]): Promise<void> {
  const updated = ['audience', 'version', 'fields', 'field_states', 'tombstone', 'deleted', 'pending_review', 'updated_at'];
  const assignments = sql.raw(updated.map((column) => `"${column}" = excluded."${column}"`).join(', '));
  await insertRows(db, records, states, sql`ON CONFLICT ("type", "id") DO UPDATE SET ${assignments}`);
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
  await insertRows(db, recordWrites, rows);
}

export async function insertRecordVersions(db: OfficeDb, rows: readonly (typeof recordVersions.$inferInsert)[]): Promise<void> {
  await insertRows(db, recordVersions, rows);
}

export async function insertReviewItems(db: OfficeDb, rows: readonly (typeof reviewItems.$inferInsert)[]): Promise<void> {
  await insertRows(db, reviewItems, rows);
}
