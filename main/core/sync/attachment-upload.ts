import { z } from 'zod';
import type { DeviceDb } from '../../../db/open.js';
import { type AttachmentRow, listUnstoredAttachments, markAttachmentStored, recordUploadProgress } from '../../../db/queries/attachments.js';
import { readSyncValue, writeSyncValue } from '../../../db/queries/sync.js';
import {
  type AttachmentBatchItem,
  type AttachmentBatchResponse,
  type AttachmentStatus,
  attachmentBatchResponseSchema,
  attachmentStatusSchema,
  CURRENT_SCHEMA_VERSION,
  MAX_ATTACHMENT_BATCH_INLINE_BYTES,
  MAX_ATTACHMENT_BATCH_ITEMS,
  MAX_ATTACHMENT_CHUNK_BYTES,
  MAX_INLINE_ATTACHMENT_BYTES,
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
 * Sends the device's attachments to the office, many to a request. A batch carries the small
 * ones (signatures) whole, which the office stores as soon as their bytes hash to their name, and
 * declares the large ones (photos), the office answering for each that it holds it already
 * (nothing to send) or how many bytes of this device's upload it holds. The rest of each large
 * one then goes in resumable chunks from exactly there, one per request, its progress noted as
 * it goes. Once the office confirms an attachment stored, it is marked stored and the garbage
 * collector's grace window starts. A lost connection stops the pass: the next one asks again and
 * continues where the office is, whatever the device last heard.
 */
export interface AttachmentUploadOptions {
  db: DeviceDb;
  attachments: AttachmentStore;
  clock: Clock;
  transport: SyncTransport & BinaryTransport;
  schemaVersion?: number;
  /** Bytes per chunk request, at most the office's MAX_ATTACHMENT_CHUNK_BYTES. */
  chunkBytes?: number;
  /** Ends the pass before its next request, leaving the rest for a later one (the app is quitting). */
  signal?: AbortSignal;
}

export interface UploadSummary {
  /** Attachments the office confirmed in this pass. */
  stored: string[];
  /** Attachments left for a later pass, with why (another device is uploading it, the local file is damaged, ...). */
  deferred: { sha256: string; code: string; reason: string }[];
}

const problemSchema = z.object({ sha256: z.string().nullable(), code: z.string(), message: z.string() });
export type UploadProblem = z.infer<typeof problemSchema>;

const passReportSchema = z.object({
  at: z.number(),
  stored: z.number(),
  /** The first attachments the pass left for later, and why. */
  deferred: z.array(problemSchema),
  /** What ended the pass before it was through (the office out of reach, this device revoked), if anything did. */
  stoppedBy: problemSchema.nullable(),
});
/** How the last upload pass went, kept so the app can say why photos are still waiting. */
export type UploadPassReport = z.infer<typeof passReportSchema>;

const DEFERRED_KEPT = 5;

export function readLastUploadPass(db: DeviceDb): UploadPassReport | null {
  return passReportSchema.safeParse(readSyncValue(db, 'uploads.lastPass')).data ?? null;
}

const BATCH_PATH = '/v1/attachments/batch';

/** Requests beyond the chunks themselves one attachment may take (offset corrections, a restarted upload). */
const EXTRA_REQUESTS = 8;

/** What every request of one pass shares. */
interface Pass {
  options: AttachmentUploadOptions;
  schemaVersion: number;
  headers: Record<string, string>;
  chunkBytes: number;
  summary: UploadSummary;
}

interface Batched {
  row: AttachmentRow;
  item: AttachmentBatchItem;
}

export async function uploadAttachments(options: AttachmentUploadOptions): Promise<UploadSummary> {
  const chunkBytes = Math.min(options.chunkBytes ?? MAX_ATTACHMENT_CHUNK_BYTES, MAX_ATTACHMENT_CHUNK_BYTES);
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new Error('chunkBytes is a positive whole number');
  const schemaVersion = options.schemaVersion ?? CURRENT_SCHEMA_VERSION;
  const summary: UploadSummary = { stored: [], deferred: [] };
  const pass: Pass = { options, schemaVersion, headers: deviceHeaders(requireEnrollment(options.db).credential, schemaVersion), chunkBytes, summary };
  try {
    await sendAll(pass);
  } catch (error) {
    notePass(pass, problemOf(null, error));
    throw error;
  }
  notePass(pass, null);
  return summary;
}

async function sendAll(pass: Pass): Promise<void> {
  const { options } = pass;
  const rows = listUnstoredAttachments(options.db);
  // Whole ones first: a pass cut short in a photo's chunks has the signatures in already.
  const ordered = [...rows.filter(goesWhole), ...rows.filter((row) => !goesWhole(row))];
  const declared: { row: AttachmentRow; status: AttachmentStatus }[] = [];
  for (const batch of batches(pass, ordered)) {
    if (options.signal?.aborted) return;
    const answers = await sendBatch(pass, batch.map(({ item }) => item));
    for (const { row } of batch) {
      await settle(pass, row, async () => {
        const status = statusIn(answers, row.sha256);
        if (status.stored) return status;
        declared.push({ row, status });
        return null;
      });
    }
  }
  for (const { row, status } of declared) {
    if (options.signal?.aborted) return;
    await settle(pass, row, () => sendChunks(pass, row, status));
  }
}

function problemOf(sha256: string | null, error: unknown): UploadProblem {
  const code = error instanceof SyncError || error instanceof CoreError ? error.code : 'internal';
  return { sha256, code, message: error instanceof Error ? error.message : String(error) };
}

function notePass({ options, summary }: Pass, stoppedBy: UploadProblem | null): void {
  const report: UploadPassReport = {
    at: options.clock.now(),
    stored: summary.stored.length,
    deferred: summary.deferred.slice(0, DEFERRED_KEPT).map(({ sha256, code, reason }) => ({ sha256, code, message: reason })),
    stoppedBy,
  };
  writeSyncValue(options.db, 'uploads.lastPass', report);
}

function goesWhole(row: AttachmentRow): boolean {
  return row.size <= MAX_INLINE_ATTACHMENT_BYTES;
}

/**
 * The attachments in batches within the office's limits. A whole one whose local file is damaged
 * is deferred and left out.
 */
function* batches(pass: Pass, rows: readonly AttachmentRow[]): Generator<Batched[]> {
  let batch: Batched[] = [];
  let inlineBytes = 0;
  for (const row of rows) {
    const whole = goesWhole(row);
    if (batch.length === MAX_ATTACHMENT_BATCH_ITEMS || (whole && inlineBytes + row.size > MAX_ATTACHMENT_BATCH_INLINE_BYTES)) {
      yield batch;
      batch = [];
      inlineBytes = 0;
    }
    const declaration = { sha256: row.sha256, size: row.size, mimeType: row.mimeType };
    if (!whole) {
      batch.push({ row, item: declaration });
      continue;
    }
    const content = unlessDeferred(pass, row, () => Buffer.from(pass.options.attachments.read(row.sha256).data).toString('base64'));
    if (content === undefined) continue;
    batch.push({ row, item: { ...declaration, content } });
    inlineBytes += row.size;
  }
  if (batch.length > 0) yield batch;
}

type BatchAnswers = Map<string, AttachmentBatchResponse['attachments'][number]>;

async function sendBatch({ options, schemaVersion, headers }: Pass, items: AttachmentBatchItem[]): Promise<BatchAnswers> {
  const answer = await callOffice(options.transport, BATCH_PATH, { schemaVersion, attachments: items }, attachmentBatchResponseSchema, headers);
  return new Map(answer.attachments.map((status) => [status.sha256, status]));
}

/** The office's status of one attachment of a batch; its refusal is that attachment's error. */
function statusIn(answers: BatchAnswers, sha256: string): AttachmentStatus {
  const answer = answers.get(sha256);
  if (!answer) throw new SyncError('bad-response', `the office's answer to ${BATCH_PATH} says nothing of attachment ${sha256}`, true);
  if ('refused' in answer) throw new SyncError(answer.refused.code, answer.refused.message, false);
  return answer;
}

/** Uploads the rest of a declared attachment in chunks; null when the pass was ended first. */
async function sendChunks(pass: Pass, row: AttachmentRow, declared: AttachmentStatus): Promise<AttachmentStatus | null> {
  const { options, headers, chunkBytes } = pass;
  const { data } = options.attachments.read(row.sha256);
  const path = `/v1/attachments/${row.sha256}`;
  const declareAgain = async () => statusIn(await sendBatch(pass, [{ sha256: row.sha256, size: row.size, mimeType: row.mimeType }]), row.sha256);

  let status = declared;
  const limit = Math.ceil(row.size / chunkBytes) + EXTRA_REQUESTS;
  for (let requests = 0; !status.stored; requests++) {
    if (options.signal?.aborted) return null;
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
    else if (error.code === 'attachment-hash-mismatch' || error.code === 'not-found') status = await declareAgain();
    else throw error;
  }
  return status;
}

/**
 * One attachment's step. A status (stored) marks it stored; null leaves it for later in the pass.
 * Its own trouble defers it; trouble with the connection, the office or this device's standing
 * stops the pass.
 */
async function settle(pass: Pass, row: AttachmentRow, step: () => Promise<AttachmentStatus | null>): Promise<void> {
  try {
    const status = await step();
    if (!status) return;
    if (status.size !== row.size) throw new SyncError('bad-response', `the office holds attachment ${row.sha256} with ${status.size} bytes, not ${row.size}`, false);
    markAttachmentStored(pass.options.db, row.sha256, pass.options.clock.now());
    pass.summary.stored.push(row.sha256);
  } catch (error) {
    defer(pass, row, error);
  }
}

/** `read`'s result, or undefined when the attachment's own trouble deferred it. */
function unlessDeferred<T>(pass: Pass, row: AttachmentRow, read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    defer(pass, row, error);
    return undefined;
  }
}

function defer(pass: Pass, row: AttachmentRow, error: unknown): void {
  if (stopsThePass(error)) throw error;
  const { code, message } = problemOf(row.sha256, error);
  pass.summary.deferred.push({ sha256: row.sha256, code, reason: message });
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
