import { and, asc, between, desc, eq, gt, gte, lt, lte, max, min } from 'drizzle-orm';
import type { OfficeDb } from '../db/connect.js';
import { devices, journalEntries, officeUsers, operators, recordVersions, recordWrites, sites } from '../db/schema.js';

/** What the audit reads: a record's write history and versions, and devices' stored journals. */

export type RecordWriteRow = typeof recordWrites.$inferSelect;
export type RecordVersionRow = typeof recordVersions.$inferSelect;

export interface WriteWithNames {
  write: RecordWriteRow;
  /** The journal entry that carried a device's write. */
  entryHash: string | null;
  /** The signing session of that entry, and its device's acknowledged chain (null for office writes). */
  sessionId: string | null;
  deviceChainSeq: number | null;
  deviceFlagged: boolean | null;
  operatorName: string | null;
  userName: string | null;
}

export async function findRecordWrites(db: OfficeDb, type: string, id: string): Promise<WriteWithNames[]> {
  return db
    .select({
      write: recordWrites,
      entryHash: journalEntries.hash,
      sessionId: journalEntries.sessionId,
      deviceChainSeq: devices.chainSeq,
      deviceFlagged: devices.flagged,
      operatorName: operators.displayName,
      userName: officeUsers.name,
    })
    .from(recordWrites)
    .leftJoin(journalEntries, and(eq(journalEntries.deviceId, recordWrites.deviceId), eq(journalEntries.seq, recordWrites.seq)))
    .leftJoin(devices, eq(devices.id, recordWrites.deviceId))
    .leftJoin(operators, eq(operators.id, recordWrites.operatorId))
    .leftJoin(officeUsers, eq(officeUsers.id, recordWrites.userId))
    .where(and(eq(recordWrites.recordType, type), eq(recordWrites.recordId, id)))
    .orderBy(asc(recordWrites.id));
}

export async function findRecordVersions(db: OfficeDb, type: string, id: string): Promise<RecordVersionRow[]> {
  return db
    .select()
    .from(recordVersions)
    .where(and(eq(recordVersions.type, type), eq(recordVersions.id, id)))
    .orderBy(asc(recordVersions.version));
}

export interface StoredEntryRow {
  seq: number;
  kind: string;
  hash: string;
  signature: string;
  /** The signed body as canonical JSON, as stored. */
  body: string;
  receivedAt: number;
  gapMs: number;
}

const entryColumns = {
  seq: journalEntries.seq,
  kind: journalEntries.kind,
  hash: journalEntries.hash,
  signature: journalEntries.signature,
  body: journalEntries.body,
  receivedAt: journalEntries.receivedAt,
  gapMs: journalEntries.gapMs,
};

/** A device's entries with fromSeq ≤ seq ≤ toSeq, in sequence order, at most `limit`. */
export async function readDeviceEntries(db: OfficeDb, deviceId: string, fromSeq: number, toSeq: number, limit: number): Promise<StoredEntryRow[]> {
  return db
    .select(entryColumns)
    .from(journalEntries)
    .where(and(eq(journalEntries.deviceId, deviceId), between(journalEntries.seq, fromSeq, toSeq)))
    .orderBy(asc(journalEntries.seq))
    .limit(limit);
}

export async function findDeviceEntry(db: OfficeDb, deviceId: string, seq: number): Promise<StoredEntryRow | null> {
  const [row] = await db
    .select(entryColumns)
    .from(journalEntries)
    .where(and(eq(journalEntries.deviceId, deviceId), eq(journalEntries.seq, seq)));
  return row ?? null;
}

/** The latest entry of `kind` at or before `seq` (and after `afterSeq`). */
export async function findLastEntryOfKind(db: OfficeDb, deviceId: string, kind: string, afterSeq: number, atOrBeforeSeq: number): Promise<StoredEntryRow | null> {
  const [row] = await db
    .select(entryColumns)
    .from(journalEntries)
    .where(and(eq(journalEntries.deviceId, deviceId), eq(journalEntries.kind, kind), gt(journalEntries.seq, afterSeq), lte(journalEntries.seq, atOrBeforeSeq)))
    .orderBy(desc(journalEntries.seq))
    .limit(1);
  return row ?? null;
}

export interface DeviceSeqRange {
  deviceId: string;
  fromSeq: number;
  toSeq: number;
}

/** Per device, the first and last entry the server received in [from, to), within an organisation (null: all). */
export async function deviceRangesReceivedBetween(db: OfficeDb, from: number, to: number, organisationId: string | null): Promise<DeviceSeqRange[]> {
  const rows = await db
    .select({ deviceId: journalEntries.deviceId, fromSeq: min(journalEntries.seq), toSeq: max(journalEntries.seq) })
    .from(journalEntries)
    .innerJoin(devices, eq(devices.id, journalEntries.deviceId))
    .innerJoin(sites, eq(sites.id, devices.siteId))
    .where(
      and(
        gte(journalEntries.receivedAt, from),
        lt(journalEntries.receivedAt, to),
        organisationId === null ? undefined : eq(sites.organisationId, organisationId),
      ),
    )
    .groupBy(journalEntries.deviceId)
    .orderBy(asc(journalEntries.deviceId));
  return rows.map((row) => ({ deviceId: row.deviceId, fromSeq: Number(row.fromSeq), toSeq: Number(row.toSeq) }));
}
