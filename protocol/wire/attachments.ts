import { z } from 'zod';
import { hex32 } from '../journal.js';
import { schemaVersionSchema } from './versions.js';

/**
 * Attachments (photos, signatures), content-addressed by SHA-256, uploaded in resumable chunks.
 *
 * POST  /v1/attachments (device; `startAttachmentUploadSchema`) → `attachmentStatusSchema`: 201
 *       for a new upload, 200 when the organisation already has it (stored: nothing to send) or
 *       an upload by this device is under way (resume at `received`).
 * GET   /v1/attachments/:sha256 (device or office user of the organisation) → status (the offset
 *       query); 404 when the organisation neither has nor is uploading it.
 * PATCH /v1/attachments/:sha256 (the uploading device; `application/octet-stream`, header
 *       `UPLOAD_OFFSET_HEADER` = the offset of the chunk, which must equal `received`) → status.
 *       The chunk that completes the declared size has the whole upload hashed: a match makes it
 *       stored; a mismatch is 422 `attachment-hash-mismatch` and the upload is discarded.
 * GET   /v1/attachments/:sha256/content → the bytes, once stored.
 * Binary requests carry the schema version in `SCHEMA_VERSION_HEADER`.
 */
/** Defined with the attachment types in records/attachments.ts, which the renderer may import. */
export { MAX_ATTACHMENT_BYTES } from '../records/attachments.js';
export const MAX_ATTACHMENT_CHUNK_BYTES = 1024 * 1024;
export const UPLOAD_OFFSET_HEADER = 'upload-offset';

export const startAttachmentUploadSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  sha256: hex32,
  /** The whole attachment's size in bytes; more than `MAX_ATTACHMENT_BYTES` is a 413. */
  size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  mimeType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]{1,100}$/, 'a MIME type such as image/jpeg'),
});
export type StartAttachmentUpload = z.infer<typeof startAttachmentUploadSchema>;

export const attachmentStatusSchema = z.strictObject({
  sha256: hex32,
  size: z.number().int().positive(),
  mimeType: z.string(),
  /** Bytes received so far: the offset of the next chunk. */
  received: z.number().int().nonnegative(),
  /** True only once the bytes' SHA-256 was checked against the name. */
  stored: z.boolean(),
});
export type AttachmentStatus = z.infer<typeof attachmentStatusSchema>;
