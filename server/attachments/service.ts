import { sha256Hex } from '../../protocol/crypto/hash.js';
import {
  type AttachmentBatchItem,
  type AttachmentDeclaration,
  type AttachmentRefusal,
  type AttachmentStatus,
  MAX_ATTACHMENT_BYTES,
} from '../../protocol/wire.js';
import type { OfficeDb } from '../db/connect.js';
import { type Device, findDevice } from '../db/queries/identity.js';
import { transactionWithRetry } from '../db/retry.js';
import { ApiFailure, conflict, forbidden, notFound } from '../errors.js';
import {
  type AttachmentRow,
  deleteUpload,
  findAttachment,
  insertAttachments,
  lockAttachment,
  lockAttachments,
  markAttachmentStored,
  restartUpload,
  unfinishedUploadsOf,
} from './queries.js';
import type { AttachmentStorage } from './storage.js';

/**
 * Resumable, content-addressed uploads. An organisation's device declares an attachment (hash,
 * size, type), sends its bytes in chunks at the offset the server reports, and the chunk that
 * completes the declared size has the bytes hashed: only a match makes the attachment stored.
 * A small attachment may instead come whole in a batch, stored at once when its bytes hash to
 * its name. Attachments are deduplicated by hash within an organisation (a device of an
 * organisation that has it sends nothing); another organisation must upload the bytes to prove
 * it holds them, and the stored copy is then shared. One device at a time sends an upload's chunks.
 */
export interface AttachmentDeps {
  db: OfficeDb;
  storage: AttachmentStorage;
  now(): number;
}

export interface Uploader {
  device: Device;
  organisationId: string;
}

export function uploadIdOf(organisationId: string, sha256: string): string {
  return sha256Hex(`${organisationId}\u0000${sha256}`);
}

/**
 * What one device may have declared and not finished: enough for a long dead zone's photos, bounded
 * so that uploads begun and never finished cannot fill the office's storage.
 */
export const UPLOAD_QUOTA = { uploads: 1_000, bytes: 4 * 1024 * 1024 * 1024 } as const;
const QUOTA_RETRY_AFTER_SECONDS = 60;

async function checkUploadQuota(db: OfficeDb, device: Device, size: number): Promise<void> {
  const { uploads, bytes } = await unfinishedUploadsOf(db, device.id);
  if (uploads < UPLOAD_QUOTA.uploads && bytes + size <= UPLOAD_QUOTA.bytes) return;
  throw new ApiFailure(
    429,
    'upload-quota',
    `this device has ${uploads} unfinished uploads declaring ${bytes} bytes, as many as the office holds for one device (${UPLOAD_QUOTA.uploads} uploads, ${UPLOAD_QUOTA.bytes} bytes); finish them before declaring another`,
    { uploads, bytes, limit: UPLOAD_QUOTA },
    QUOTA_RETRY_AFTER_SECONDS,
  );
}

export async function startUpload(deps: AttachmentDeps, uploader: Uploader, request: AttachmentDeclaration): Promise<{ status: AttachmentStatus; created: boolean }> {
  if (request.size > MAX_ATTACHMENT_BYTES) {
    throw new ApiFailure(413, 'payload-too-large', `an attachment may have at most ${MAX_ATTACHMENT_BYTES} bytes, not ${request.size}`, { limit: MAX_ATTACHMENT_BYTES });
  }
  const { organisationId, device } = uploader;
  const uploadId = uploadIdOf(organisationId, request.sha256);
  const declared = { organisationId, sha256: request.sha256, size: request.size, mimeType: request.mimeType, uploaderDeviceId: device.id, createdAt: deps.now() };
  return transactionWithRetry(deps.db, async (tx) => {
    const existing = await lockAttachment(tx, organisationId, request.sha256);
    if (!existing) {
      await checkUploadQuota(tx, device, request.size);
      await deps.storage.discard(uploadId, tx);
      await insertAttachments(tx, [{ ...declared, storedAt: null }]);
      return { status: statusOf(declared, 0, false), created: true };
    }
    if (existing.storedAt !== null) {
      if (existing.size !== request.size) {
        throw new ApiFailure(400, 'invalid-request', `attachment ${request.sha256} is stored with ${existing.size} bytes, not ${request.size}`);
      }
      return { status: statusOf(existing, existing.size, true), created: false };
    }
    if (existing.uploaderDeviceId !== device.id && !(await uploaderRevoked(tx, existing))) {
      throw conflict(`device ${existing.uploaderDeviceId} is uploading attachment ${request.sha256}; ask again once it is stored`);
    }
    if (existing.uploaderDeviceId !== device.id || existing.size !== request.size || existing.mimeType !== request.mimeType) {
      // Taken over from a revoked device, or declared anew: the bytes so far do not count.
      if (existing.uploaderDeviceId !== device.id) await checkUploadQuota(tx, device, request.size);
      await deps.storage.discard(uploadId, tx);
      await restartUpload(tx, declared);
      return { status: statusOf(declared, 0, false), created: false };
    }
    return { status: statusOf(existing, await deps.storage.received(uploadId, tx), false), created: false };
  });
}

/** An attachment that came whole, its bytes decoded. */
export interface WholeAttachment {
  declared: AttachmentDeclaration;
  bytes: Uint8Array;
}

/**
 * Stores attachments that came whole, together, in one transaction: each one's bytes are hashed
 * before anything is written, and one that does not hash to its name is refused alone, keeping
 * nothing. An upload of one under way, whichever device began it, gives way to bytes already
 * proven whole (that device's next chunk is answered that the attachment is stored).
 */
export async function storeWhole(deps: AttachmentDeps, uploader: Uploader, wholes: readonly WholeAttachment[]): Promise<Map<string, AttachmentStatus | ApiFailure>> {
  const { organisationId, device } = uploader;
  const answers = new Map<string, AttachmentStatus | ApiFailure>();
  const proven = wholes
    .filter(({ declared, bytes }) => {
      const matches = bytes.byteLength === declared.size && sha256Hex(bytes) === declared.sha256;
      if (!matches) answers.set(declared.sha256, new ApiFailure(422, 'attachment-hash-mismatch', `the ${bytes.byteLength} bytes sent do not hash to ${declared.sha256}; nothing was kept, send them again`));
      return matches;
    })
    // In hash order, as they are locked: two batches writing some of the same never wait on each other in a circle.
    .sort((a, b) => (a.declared.sha256 < b.declared.sha256 ? -1 : 1));
  if (proven.length === 0) return answers;
  const stored = await transactionWithRetry(deps.db, async (tx) => {
    const statuses = new Map<string, AttachmentStatus>();
    const existing = new Map((await lockAttachments(tx, organisationId, proven.map(({ declared }) => declared.sha256))).map((row) => [row.sha256, row]));
    const now = deps.now();
    const rowOf = (declared: AttachmentDeclaration) => ({ organisationId, ...declared, uploaderDeviceId: device.id, createdAt: now, storedAt: now });
    // New rows first: each holds its key until commit, as the lock holds an existing one, so a
    // concurrent store of the same attachment waits, then finds it stored.
    await insertAttachments(tx, proven.filter(({ declared }) => !existing.has(declared.sha256)).map(({ declared }) => rowOf(declared)));
    for (const { declared, bytes } of proven) {
      const held = existing.get(declared.sha256);
      if (held && held.storedAt !== null) {
        statuses.set(declared.sha256, statusOf(held, held.size, true));
        continue;
      }
      const uploadId = uploadIdOf(organisationId, declared.sha256);
      if (held) {
        await restartUpload(tx, rowOf(declared));
        await deps.storage.discard(uploadId, tx);
        await markAttachmentStored(tx, organisationId, declared.sha256, now);
      }
      await deps.storage.storeVerified(uploadId, declared.sha256, bytes, tx);
      statuses.set(declared.sha256, statusOf(declared, declared.size, true));
    }
    return statuses;
  });
  for (const [sha256, status] of stored) answers.set(sha256, status);
  return answers;
}

/**
 * A batch: the attachments that came whole stored together, then those declared, one after
 * another. What the office refuses of one attachment is that attachment's answer; trouble of the
 * office itself (its database away) fails the whole request, to be sent again.
 */
export async function settleBatch(deps: AttachmentDeps, uploader: Uploader, items: readonly AttachmentBatchItem[]): Promise<(AttachmentStatus | AttachmentRefusal)[]> {
  const wholes = items.flatMap(({ content, ...declared }) => (content === undefined ? [] : [{ declared, bytes: Buffer.from(content, 'base64') }]));
  const answers = await storeWhole(deps, uploader, wholes);
  for (const { content, ...declared } of items) {
    if (content !== undefined) continue;
    try {
      answers.set(declared.sha256, (await startUpload(deps, uploader, declared)).status);
    } catch (error) {
      if (!(error instanceof ApiFailure) || error.status >= 500) throw error;
      answers.set(declared.sha256, error);
    }
  }
  return items.map(({ sha256 }) => {
    const answer = answers.get(sha256)!;
    return answer instanceof ApiFailure ? { sha256, refused: { code: answer.code, message: answer.message } } : answer;
  });
}

/** The offset query: how many bytes of the upload the server holds, and whether it is stored. */
export async function attachmentStatus(deps: AttachmentDeps, organisationId: string | null, sha256: string): Promise<AttachmentStatus> {
  const row = await findAttachment(deps.db, organisationId, sha256);
  if (!row) throw notFound(`attachment ${sha256}`);
  if (row.storedAt !== null) return statusOf(row, row.size, true);
  return statusOf(row, await deps.storage.received(uploadIdOf(row.organisationId, sha256)), false);
}

export async function putChunk(deps: AttachmentDeps, uploader: Uploader, sha256: string, offset: number, chunk: Uint8Array): Promise<AttachmentStatus> {
  const { organisationId, device } = uploader;
  const uploadId = uploadIdOf(organisationId, sha256);
  const settled = await transactionWithRetry(deps.db, async (tx) => {
    const row = await lockAttachment(tx, organisationId, sha256);
    if (!row) throw notFound(`an upload of attachment ${sha256} (start it with POST /v1/attachments)`);
    // A chunk resent after the response to the last one was lost: nothing left to do.
    if (row.storedAt !== null) return { status: statusOf(row, row.size, true) };
    if (row.uploaderDeviceId !== device.id) throw forbidden(`device ${row.uploaderDeviceId} is uploading attachment ${sha256}, not this device`);
    const received = await deps.storage.received(uploadId, tx);
    if (offset !== received) {
      throw new ApiFailure(409, 'upload-offset-mismatch', `the server holds ${received} bytes of this attachment; send the chunk at offset ${received}`, { received });
    }
    if (chunk.byteLength === 0) throw new ApiFailure(400, 'invalid-request', 'the chunk is empty');
    if (offset + chunk.byteLength > row.size) {
      throw new ApiFailure(413, 'payload-too-large', `the chunk goes past the declared size of ${row.size} bytes`, { limit: row.size - offset });
    }
    const held = await deps.storage.putChunk(uploadId, offset, chunk, tx);
    if (held < row.size) return { status: statusOf(row, held, false) };
    if (!(await deps.storage.complete(uploadId, sha256, tx))) {
      await deleteUpload(tx, organisationId, sha256);
      return { mismatch: true as const };
    }
    await markAttachmentStored(tx, organisationId, sha256, deps.now());
    return { status: statusOf(row, row.size, true) };
  });
  if ('mismatch' in settled) {
    throw new ApiFailure(422, 'attachment-hash-mismatch', `the ${offset + chunk.byteLength} bytes received do not hash to ${sha256}; nothing was kept, upload again`);
  }
  return settled.status;
}

async function uploaderRevoked(db: OfficeDb, row: AttachmentRow): Promise<boolean> {
  return (await findDevice(db, row.uploaderDeviceId))?.revokedAt != null;
}

function statusOf(row: Pick<AttachmentRow, 'sha256' | 'size' | 'mimeType'>, received: number, stored: boolean): AttachmentStatus {
  return { sha256: row.sha256, size: row.size, mimeType: row.mimeType, received, stored };
}
