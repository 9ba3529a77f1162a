import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { OfficeDb } from '../db/connect.js';
import { attachments } from '../db/schema.js';

/** Organisations' attachments and the uploads under way (storedAt null). */

export type AttachmentRow = typeof attachments.$inferSelect;

/**
 * The organisation's row for an attachment; an organisation of null (the bootstrap admin, who
 * serves every organisation) finds any organisation's.
 */
export async function findAttachment(db: OfficeDb, organisationId: string | null, sha256: string): Promise<AttachmentRow | null> {
  const [row] = await db
    .select()
    .from(attachments)
    .where(and(eq(attachments.sha256, sha256), organisationId === null ? undefined : eq(attachments.organisationId, organisationId)))
    .orderBy(asc(attachments.organisationId))
    .limit(1);
  return row ?? null;
}

/** Locks the row for the rest of the transaction: one chunk of an upload at a time. */
export async function lockAttachment(db: OfficeDb, organisationId: string, sha256: string): Promise<AttachmentRow | null> {
  const [row] = await db
    .select()
    .from(attachments)
    .where(and(eq(attachments.organisationId, organisationId), eq(attachments.sha256, sha256)))
    .for('update');
  return row ?? null;
}

/** Locks the organisation's rows of these attachments, in hash order so that two transactions locking some of the same never wait on each other in a circle. */
export async function lockAttachments(db: OfficeDb, organisationId: string, sha256s: readonly string[]): Promise<AttachmentRow[]> {
  if (sha256s.length === 0) return [];
  return db
    .select()
    .from(attachments)
    .where(and(eq(attachments.organisationId, organisationId), inArray(attachments.sha256, [...sha256s])))
    .orderBy(asc(attachments.sha256))
    .for('update');
}

/** How many uploads the device has declared and not finished, and their declared bytes. */
export async function unfinishedUploadsOf(db: OfficeDb, deviceId: string): Promise<{ uploads: number; bytes: number }> {
  const [row] = await db
    .select({ uploads: sql<number>`count(*)::int`, bytes: sql<number>`coalesce(sum(${attachments.size}), 0)::float8` })
    .from(attachments)
    .where(and(eq(attachments.uploaderDeviceId, deviceId), isNull(attachments.storedAt)));
  return row ?? { uploads: 0, bytes: 0 };
}

export async function insertAttachments(db: OfficeDb, rows: readonly AttachmentRow[]): Promise<void> {
  if (rows.length > 0) await db.insert(attachments).values([...rows]);
}

export async function restartUpload(db: OfficeDb, row: Pick<AttachmentRow, 'organisationId' | 'sha256' | 'size' | 'mimeType' | 'uploaderDeviceId' | 'createdAt'>): Promise<void> {
  await db
    .update(attachments)
    .set({ size: row.size, mimeType: row.mimeType, uploaderDeviceId: row.uploaderDeviceId, createdAt: row.createdAt })
    .where(and(eq(attachments.organisationId, row.organisationId), eq(attachments.sha256, row.sha256)));
}

export async function markAttachmentStored(db: OfficeDb, organisationId: string, sha256: string, at: number): Promise<void> {
  await db
    .update(attachments)
    .set({ storedAt: at })
    .where(and(eq(attachments.organisationId, organisationId), eq(attachments.sha256, sha256)));
}

/** An upload whose bytes did not match their name leaves nothing behind. */
export async function deleteUpload(db: OfficeDb, organisationId: string, sha256: string): Promise<void> {
  await db.delete(attachments).where(and(eq(attachments.organisationId, organisationId), eq(attachments.sha256, sha256)));
}
