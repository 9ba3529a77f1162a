import { and, asc, type Column, desc, eq, getTableColumns, gte, lt, or, type SQL, sql } from 'drizzle-orm';
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

/**
 * The record types people look up on the Records screens: the numbers each is found by (unit,
 * plate, container, chassis) and the time it is listed at (a gate event when the truck passed, an
 * inspection when submitted, an interchange when the equipment changed hands). Until that time is
 * set (a draft inspection) a record is listed at its creation.
 */
const SEARCHABLE = {
  inspection: { numbers: ['equipmentNumber'], time: 'submittedAt' },
  gateEvent: { numbers: ['truckPlate', 'containerNumber', 'chassisNumber'], time: 'recordedAt' },
  equipmentInterchange: { numbers: ['equipmentNumber'], time: 'interchangedAt' },
} as const satisfies Partial<Record<RecordType, { numbers: readonly string[]; time: string }>>;

export type SearchableType = keyof typeof SEARCHABLE;

/** A record with the time it is listed at. */
export interface TimedRecord {
  record: StoredRecord;
  at: number;
}

export interface RecordQuery {
  /** Part of a unit, plate, container or chassis number; empty finds every record of the range. */
  text: string;
  /** From this time (included) to that one (excluded). */
  from: number;
  to: number;
  limit: number;
}

/**
 * Records of `type` whose numbers hold `text` and whose time is in the range, newest first, at most
 * `limit` of them; `more` when others match too. Numbers are compared without case, spaces or
 * hyphens, as they are read out and typed in the yard: "csqu 305438" finds CSQU3054383, "trk104" TRK-104.
 */
export function searchRecords(db: DeviceDb, type: SearchableType, query: RecordQuery): { records: TimedRecord[]; more: boolean } {
  const { columns, at } = searchColumns(type);
  const needle = query.text.replace(/[\s-]/g, '');
  const matches = needle === '' ? undefined : or(...SEARCHABLE[type].numbers.map((name) => sql`instr(upper(${compact(columns[name]!)}), upper(${needle})) > 0`));
  const found = selectTimed(db, type, and(gte(at, query.from), lt(at, query.to), matches), query.limit + 1);
  return { records: found.slice(0, query.limit), more: found.length > query.limit };
}

/** One record with the time it is listed at, or null when the device does not hold it. */
export function readTimedRecord(db: DeviceDb, type: SearchableType, id: string): TimedRecord | null {
  return selectTimed(db, type, eq(searchColumns(type).columns.id!, id), 1)[0] ?? null;
}

/** The records that correct record `id` (new records naming it in their correctsId), newest first. */
export function listCorrections(db: DeviceDb, type: SearchableType, id: string): TimedRecord[] {
  return selectTimed(db, type, eq(searchColumns(type).columns.correctsId!, id), -1);
}

function searchColumns(type: SearchableType): { columns: Record<string, Column>; at: SQL<number> } {
  const columns = getTableColumns(recordTables[type]) as Record<string, Column>;
  return { columns, at: sql<number>`coalesce(${columns[SEARCHABLE[type].time]!}, ${columns.createdAt!})` };
}

function compact(column: Column): SQL {
  return sql`replace(replace(${column}, ' ', ''), '-', '')`;
}

function selectTimed(db: DeviceDb, type: SearchableType, where: SQL | undefined, limit: number): TimedRecord[] {
  const table = recordTables[type];
  const { columns, at } = searchColumns(type);
  const rows = db
    .select({ ...columns, at })
    .from(table)
    .where(and(eq(table.deleted, false), where))
    .orderBy(desc(at), desc(table.createdAt))
    .limit(limit)
    .all() as (Row & { at: number })[];
  return rows.map((row) => ({ record: toStored(type, row), at: row.at }));
}
