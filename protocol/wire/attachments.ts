import { z } from 'zod';
import { hex32 } from './shapes.js';
import { schemaVersionSchema } from './versions.js';

/**
 * Attachments (photos, signatures), content-addressed by SHA-256.
 *
 * POST  /v1/attachments/batch (device; `attachmentBatchSchema`) → `attachmentBatchResponseSchema`:
 *       many attachments in one round trip, each answered in the order asked. An item carrying
 *       its `content` (a small attachment, such as a signature) is stored whole at once once its
 *       bytes hash to its name, with no chunk to follow; an item without is declared, as
 *       POST /v1/attachments does: its status says the organisation holds it already (nothing
 *       to send) or how many bytes of this device's upload the office holds (send the chunks
 *       from there). An item the office will not take is refused on its own (`refused`: the
 *       error it would have answered alone), never the others with it.
 * POST  /v1/attachments (device; `startAttachmentUploadSchema`) → `attachmentStatusSchema`: 201
 *       for a new upload, 200 when the organisation already has it (stored: nothing to send) or
 *       an upload by this device is under way (resume at `received`). Kept for apps that predate
 *       the batch.
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

/**
 * The largest attachment a batch may carry whole. A signature is a few kB; a photo is larger and
 * goes in resumable chunks, and is declared first so that one the organisation holds costs no bytes.
 */
export const MAX_INLINE_ATTACHMENT_BYTES = 64 * 1024;
export const MAX_ATTACHMENT_BATCH_ITEMS = 200;
/** Bytes of whole attachments in one batch: base64 and the rest of the body stay within the office's 1 MiB body limit. */
export const MAX_ATTACHMENT_BATCH_INLINE_BYTES = 512 * 1024;

const attachmentDeclarationSchema = z.strictObject({
  sha256: hex32,
  /** The whole attachment's size in bytes; more than `MAX_ATTACHMENT_BYTES` is a 413. */
  size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  mimeType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]{1,100}$/, 'a MIME type such as image/jpeg'),
});
export type AttachmentDeclaration = z.infer<typeof attachmentDeclarationSchema>;

export const startAttachmentUploadSchema = attachmentDeclarationSchema.extend({ schemaVersion: schemaVersionSchema });
export type StartAttachmentUpload = z.infer<typeof startAttachmentUploadSchema>;

/** Bytes that base64 text (padded, as `z.base64()` requires) decodes to. */
function base64ByteLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

export const attachmentBatchItemSchema = attachmentDeclarationSchema
  .extend({
    /** The whole attachment, base64, when it has at most `MAX_INLINE_ATTACHMENT_BYTES`; absent: declare it. */
    content: z.base64().optional(),
  })
  .refine((item) => item.content === undefined || item.size <= MAX_INLINE_ATTACHMENT_BYTES, {
    message: `only an attachment of at most ${MAX_INLINE_ATTACHMENT_BYTES} bytes goes whole; declare a larger one and send its chunks`,
    path: ['content'],
  })
  .refine((item) => item.content === undefined || base64ByteLength(item.content) === item.size, { message: 'content must decode to size bytes', path: ['content'] });
export type AttachmentBatchItem = z.infer<typeof attachmentBatchItemSchema>;

export const attachmentBatchSchema = z
  .strictObject({
    schemaVersion: schemaVersionSchema,
    attachments: z.array(attachmentBatchItemSchema).min(1).max(MAX_ATTACHMENT_BATCH_ITEMS),
  })
  .refine((batch) => new Set(batch.attachments.map((item) => item.sha256)).size === batch.attachments.length, {
    message: 'each attachment at most once in a batch',
    path: ['attachments'],
  })
  .refine((batch) => batch.attachments.reduce((sum, item) => sum + (item.content === undefined ? 0 : item.size), 0) <= MAX_ATTACHMENT_BATCH_INLINE_BYTES, {
    message: `at most ${MAX_ATTACHMENT_BATCH_INLINE_BYTES} bytes of whole attachments in one batch`,
    path: ['attachments'],
  });
export type AttachmentBatch = z.infer<typeof attachmentBatchSchema>;

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

/** One attachment of a batch the office did not take, with the error it would have answered alone (a hash mismatch keeps nothing). */
export const attachmentRefusalSchema = z.strictObject({
  sha256: hex32,
  refused: z.strictObject({ code: z.string(), message: z.string() }),
});
export type AttachmentRefusal = z.infer<typeof attachmentRefusalSchema>;

export const attachmentBatchResponseSchema = z.strictObject({
  attachments: z.array(z.union([attachmentStatusSchema, attachmentRefusalSchema])),
});
export type AttachmentBatchResponse = z.infer<typeof attachmentBatchResponseSchema>;
