import { and, asc, eq, isNotNull, lte, ne, sql } from 'drizzle-orm';
import type { RecordEntryBody } from '../../protocol/journal.js';
import type { RecordFields, RecordType } from '../../protocol/records/index.js';
import type { DeviceDb } from '../open.js';
import { attachments, journal, outbox, recordTables } from '../schema.js';
import { prepareOnce } from './statements.js';

/**
 * The attachments table: one row per file in the device's attachment store, written only after
 * the encrypted file is durably in place, with the upload's progress towards the office.
 */
export type AttachmentRow = typeof attachments.$inferSelect;

export function findAttachment(db: DeviceDb, sha256: string): AttachmentRow | null {
  const select = prepareOnce(db, 'attachments.find', () =>
    db.select().from(attachments).where(eq(attachments.sha256, sql.placeholder('sha256'))).prepare(),
  );
  return select.get({ sha256 }) ?? null;
}

/** Inserts the row unless the attachment is already there (the same bytes put twice). */
export function insertAttachment(db: DeviceDb, row: Pick<AttachmentRow, 'sha256' | 'size' | 'mimeType' | 'createdAt'>): void {
  db.insert(attachments).values({ ...row, state: 'local' }).onConflictDoNothing().run();
}

export function deleteAttachment(db: DeviceDb, sha256: string): void {
  db.delete(attachments).where(eq(attachments.sha256, sha256)).run();
}

export function listAttachmentHashes(db: DeviceDb): Set<string> {
  return new Set(db.select({ sha256: attachments.sha256 }).from(attachments).all().map((row) => row.sha256));
}

/** Attachments the office has not confirmed yet, oldest first: what the uploader sends. */
export function listUnstoredAttachments(db: DeviceDb): AttachmentRow[] {
  return db.select().from(attachments).where(ne(attachments.state, 'stored')).orderBy(asc(attachments.createdAt), asc(attachments.sha256)).all();
}

export function countUnstoredAttachments(db: DeviceDb): number {
  return db.select({ count: sql<number>`count(*)` }).from(attachments).where(ne(attachments.state, 'stored')).get()?.count ?? 0;
}

export function recordUploadProgress(db: DeviceDb, sha256: string, uploadedBytes: number): void {
  db.update(attachments)
    .set({ state: 'uploading', uploadedBytes })
    .where(and(eq(attachments.sha256, sha256), ne(attachments.state, 'stored')))
    .run();
}

/** The office confirmed it holds the bytes under this hash: from `at` on, the grace window runs. */
export function markAttachmentStored(db: DeviceDb, sha256: string, at: number): void {
  db.update(attachments)
    .set({ state: 'stored', uploadedBytes: sql`${attachments.size}`, acknowledgedAt: at })
    .where(and(eq(attachments.sha256, sha256), ne(attachments.state, 'stored')))
    .run();
}

/** Attachments the office acknowledged at or before `cutoff`. */
export function listAcknowledgedBy(db: DeviceDb, cutoff: number): AttachmentRow[] {
  return db
    .select()
    .from(attachments)
    .where(and(isNotNull(attachments.acknowledgedAt), lte(attachments.acknowledgedAt, cutoff)))
    .all();
}

/** Bodies of the record entries the office has not acknowledged (pending, or failed and not settled). */
export function listUnacknowledgedRecordBodies(db: DeviceDb): RecordEntryBody[] {
  return db
    .select({ body: journal.body })
    .from(outbox)
    .innerJoin(journal, eq(journal.seq, outbox.seq))
    .where(and(ne(outbox.state, 'acknowledged'), eq(journal.kind, 'record')))
    .all()
    .map((row) => JSON.parse(row.body) as RecordEntryBody);
}

/** The named fields of every record of `type` that is not in sync with the office. */
export function listUnsyncedRecordFields(db: DeviceDb, type: RecordType, fieldNames: readonly string[]): RecordFields[] {
  const table = recordTables[type];
  const columns = Object.fromEntries(fieldNames.map((name) => [name, (table as unknown as Record<string, typeof table.id>)[name]!]));
  return db.select(columns).from(table).where(ne(table.syncState, 'synced')).all();
}
