import { asc, type Column, eq, getTableColumns, sql } from 'drizzle-orm';
import { RECORD_TYPES, type RecordType, type RecordState } from '../../protocol/index.js';
import type { DeviceDb } from '../open.js';
import { recordTables } from '../schema.js';
import { encodedPlaceholder, prepareOnce, toDriverValue } from './statements.js';

export type SyncState = 'local' | 'pending' | 'synced' | 'conflict';

export interface RecordMeta {
  serverVersion: number | null;
  lastSeq: number;
  syncState: SyncState;
  pendingReview: boolean;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export interface StoredRecord extends RecordState, RecordMeta {
  type: RecordType;
  id: string;
}

type Row = Record<string, unknown> & RecordMeta & { id: string; deleted: boolean };

function toStored(type: RecordType, row: Row): StoredRecord {
  const fields: Record<string, unknown> = {};
  for (const name of Object.keys(RECORD_TYPES[type].fields)) fields[name] = row[name] ?? null;
  return {
    type,
    id: row.id,
    fields,
    deleted: row.deleted,
    serverVersion: row.serverVersion,
    lastSeq: row.lastSeq,
    syncState: row.syncState,
    pendingReview: row.pendingReview,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

export function readRecord(db: DeviceDb, type: RecordType, id: string): StoredRecord | null {
  const select = prepareOnce(db, `record.read:${type}`, () => {
    const table = recordTables[type];
    return db.select().from(table).where(eq(table.id, sql.placeholder('id'))).prepare();
  });
  const row = select.get({ id }) as Row | undefined;
  return row ? toStored(type, row) : null;
}

export function writeRecord(db: DeviceDb, record: StoredRecord): void {
  const table = recordTables[record.type];
  // Kept apart from record.fields (which it overrides) rather than spread together with it:
  // spreading the fields object costs more than the whole upsert (measured).
  const meta: Record<string, unknown> = {
    id: record.id,
    deleted: record.deleted,
    serverVersion: record.serverVersion,
    lastSeq: record.lastSeq,
    syncState: record.syncState,
    pendingReview: record.pendingReview,
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    updatedAt: record.updatedAt,
    updatedBy: record.updatedBy,
  };
  // As in drizzle's own insert, undefined means the column's default on insert and no change on
  // update; a record with such holes gets a statement of its own.
  const columns = getTableColumns(table) as Record<string, Column>;
  const params: Record<string, unknown> = {};
  const omitted: string[] = [];
  for (const key of Object.keys(columns)) {
    const value = Object.hasOwn(meta, key) ? meta[key] : record.fields[key];
    if (value === undefined) omitted.push(key);
    else params[key] = toDriverValue(columns[key]!, value);
  }
  const upsert = prepareOnce(db, `record.write:${record.type}:${omitted.join(',')}`, () => {
    const placeholders = Object.fromEntries(Object.keys(params).map((key) => [key, encodedPlaceholder(key)]));
    const { id: _id, createdAt: _createdAt, createdBy: _createdBy, ...changes } = placeholders;
    return db.insert(table).values(placeholders as never).onConflictDoUpdate({ target: table.id, set: changes }).prepare();
  });
  upsert.run(params);
}

export function listRecords(db: DeviceDb, type: RecordType, options: { includeDeleted?: boolean; limit?: number } = {}): StoredRecord[] {
  const table = recordTables[type];
  const rows = db
    .select()
    .from(table)
    .where(options.includeDeleted ? undefined : eq(table.deleted, false))
    .orderBy(asc(table.createdAt))
    .limit(options.limit ?? -1)
    .all() as Row[];
  return rows.map((row) => toStored(type, row));
}

export function allRecords(db: DeviceDb): StoredRecord[] {
  return (Object.keys(recordTables) as RecordType[]).flatMap((type) => listRecords(db, type, { includeDeleted: true }));
}

/**
 * Clears the office version a copy claims, so that the next canonical state settles it whatever
 * version it names: the state check found the copy is not what that version holds.
 */
export function forgetServerVersion(db: DeviceDb, type: RecordType, id: string): void {
  const table = recordTables[type];
  db.update(table).set({ serverVersion: null }).where(eq(table.id, id)).run();
}
