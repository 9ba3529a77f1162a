import type { DeviceDb } from '../../../db/open.js';
import { type AttachmentRow, listUnstoredAttachments, markAttachmentStored, recordUploadProgress } from '../../../db/queries/attachments.js';
import {
  type AttachmentStatus,
  attachmentStatusSchema,
  CURRENT_SCHEMA_VERSION,
  MAX_ATTACHMENT_CHUNK_BYTES,
  UPLOAD_OFFSET_HEADER,
} from '../../../protocol/wire.js';
import type { AttachmentStore } from '../attachments.js';
import { CoreError } from '../errors.js';
import type { Clock } from '../ports.js';
import { callOffice, deviceHeaders } from './api.js';
import { responseError, SyncError } from './errors.js';
import { requireEnrollment } from './state.js';
import type { BinaryTransport, SyncTransport, TransportResponse } from './transport.js';

/**
 * Sends the device's attachments to the office in resumable chunks. For each attachment the
 * office has not confirmed, the device first asks how many bytes the office holds, then sends the
 * rest from exactly there, one chunk per request, noting its progress as it goes; when the office
 * confirms it hashed the whole upload to the attachment's name, the attachment is marked stored
 * and the garbage collector's grace window starts. A lost connection stops the pass: the next one
 * asks again and continues where the office is, whatever the device last heard.
 */
export interface AttachmentUploadOptions {
  db: DeviceDb;
  attachments: AttachmentStore;
  clock: Clock;
  transport: SyncTransport & BinaryTransport;
  schemaVersion?: number;
  /** Bytes per request, at most the office's MAX_ATTACHMENT_CHUNK_BYTES. */
  chunkBytes?: number;
}

export interface UploadSummary {
  /** Attachments the office confirmed in this pass. */
  stored: string[];
  /** Attachments left for a later pass, with why (another device is uploading it, the local file is damaged, ...). */
  deferred: { sha256: string; reason: string }[];
}

/** Requests beyond the chunks themselves one attachment may take (offset corrections, a restarted upload). */
const EXTRA_REQUESTS = 8;

/** What every request of one pass shares. */
interface Pass {
  options: AttachmentUploadOptions;
  schemaVersion: number;
  headers: Record<string, string>;
  chunkBytes: number;
}

export async function uploadAttachments(options: AttachmentUploadOptions): Promise<UploadSummary> {
  const chunkBytes = Math.min(options.chunkBytes ?? MAX_ATTACHMENT_CHUNK_BYTES, MAX_ATTACHMENT_CHUNK_BYTES);
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new Error('chunkBytes is a positive whole number');
  const schemaVersion = options.schemaVersion ?? CURRENT_SCHEMA_VERSION;
  const pass: Pass = { options, schemaVersion, headers: deviceHeaders(requireEnrollment(options.db).credential, schemaVersion), chunkBytes };
  const summary: UploadSummary = { stored: [], deferred: [] };
  for (const row of listUnstoredAttachments(options.db)) {
    try {
      await uploadOne(pass, row);
      markAttachmentStored(options.db, row.sha256, options.clock.now());
      summary.stored.push(row.sha256);
    } catch (error) {
      if (stopsThePass(error)) throw error;
      summary.deferred.push({ sha256: row.sha256, reason: (error as Error).message });
    }
  }
  return summary;
}

async function uploadOne({ options, schemaVersion, headers, chunkBytes }: Pass, row: AttachmentRow): Promise<void> {
  const { data } = options.attachments.read(row.sha256);
  const path = `/v1/attachments/${row.sha256}`;
  const declare = () =>
    callOffice(options.transport, '/v1/attachments', { schemaVersion, sha256: row.sha256, size: row.size, mimeType: row.mimeType }, attachmentStatusSchema, headers);

  let status = (await askOffset(options.transport, path, headers)) ?? (await declare());
  const limit = Math.ceil(row.size / chunkBytes) + EXTRA_REQUESTS;
  for (let requests = 0; !status.stored; requests++) {
    if (requests >= limit) throw new SyncError('upload-stalled', `the upload of attachment ${row.sha256} made no progress in ${limit} requests`, false);
    const offset = status.received;
    const response = await options.transport.patch(path, data.subarray(offset, offset + chunkBytes), { ...headers, [UPLOAD_OFFSET_HEADER]: String(offset) });
    const next = readStatus(path, response);
    if (next) {
      status = next;
      if (!status.stored) recordUploadProgress(options.db, row.sha256, status.received);
      continue;
    }
    const error = responseError(response.status, response.body, response.retryAfterMs);
    if (error.code === 'upload-offset-mismatch') status = { ...status, received: receivedIn(response.body, error) };
    // The office discarded bytes that did not hash to the name (changed on the way), or the upload itself: start over.
    else if (error.code === 'attachment-hash-mismatch' || error.code === 'not-found') status = await declare();
    else throw error;
  }
  if (status.size !== row.size) throw new SyncError('bad-response', `the office holds attachment ${row.sha256} with ${status.size} bytes, not ${row.size}`, false);
}

/** The office's status of an upload, or null when it knows nothing of it (404). */
async function askOffset(transport: BinaryTransport, path: string, headers: Record<string, string>): Promise<AttachmentStatus | null> {
  const response = await transport.get(path, headers);
  if (response.status === 404) return null;
  const status = readStatus(path, response);
  if (!status) throw responseError(response.status, response.body, response.retryAfterMs);
  return status;
}

function readStatus(path: string, response: TransportResponse): AttachmentStatus | null {
  if (response.status < 200 || response.status >= 300) return null;
  const parsed = attachmentStatusSchema.safeParse(response.body);
  if (!parsed.success) throw new SyncError('bad-response', `the office's answer to ${path} is not an attachment status`, true, response.status);
  return parsed.data;
}

function receivedIn(body: unknown, error: SyncError): number {
  const received = (body as { received?: unknown } | null)?.received;
  if (typeof received === 'number' && Number.isSafeInteger(received) && received >= 0) return received;
  throw new SyncError('bad-response', `${error.message} (without saying how many bytes it holds)`, true, error.status);
}

/** Trouble with the connection, the office or this device's standing stops the pass; one attachment's own trouble does not. */
const PASS_STOPPERS = new Set(['update-required', 'unauthorized', 'device-revoked']);

function stopsThePass(error: unknown): boolean {
  if (error instanceof CoreError) return error.code !== 'attachment-damaged';
  if (error instanceof SyncError) return error.transient || PASS_STOPPERS.has(error.code);
  return true;
}
