import type { DeviceDb, Sqlite } from '../../../db/open.js';
import { markAcknowledged } from '../../../db/queries/outbox.js';
import {
  insertConflict,
  listPendingEntries,
  markFailed,
  noteUnacknowledged,
  readJournalEntry,
  readOutboxStates,
  writeSyncValue,
} from '../../../db/queries/sync.js';
import { hexToBytes } from '../../../protocol/crypto/hash.js';
import type { JournalEntry, RecordEntryBody } from '../../../protocol/journal.js';
import { recordTypeSpec } from '../../../protocol/records/index.js';
import {
  type AnchorReceipt,
  type CanonicalRecord,
  type EntryResult,
  expandLeanResults,
  linkEntries,
  MAX_PUSH_BODY_BYTES,
  MAX_PUSH_ENTRIES,
  PUSH_TIMEOUT,
  type PushResponse,
  pushResponseSchema,
  verifyAnchorReceipt,
} from '../../../protocol/wire.js';
import type { Clock } from '../ports.js';
import { callOffice, deviceHeaders } from './api.js';
import { SyncError } from './errors.js';
import { settleRecord } from './settle.js';
import { readAnchor, readClockSample, recordClockSample, type StoredEnrollment } from './state.js';
import type { SyncTransport } from './transport.js';

export interface PushDeps {
  db: DeviceDb;
  sqlite: Sqlite;
  deviceId: string;
  clock: Clock;
  transport: SyncTransport;
  enrollment: StoredEnrollment;
  schemaVersion: number;
  /** The app build, told with each push (an administrator may require a build of the device). */
  appVersion?: string;
}

/** What one push batch did. */
export interface PushBatchReport {
  sent: number;
  /** Entries the office now holds (failed ones included): they never go again. */
  acknowledged: number[];
  /** Acknowledged but rejected: parked in the failed list. */
  failed: number[];
  /** Not taken (chain verification): still pending, with the office's reason. */
  notAcknowledged: { seq: number; reason: string; message: string }[];
  /** Conflict inbox entries added (merged, conflict and rejected record entries). */
  conflicts: number;
  receipt: AnchorReceipt;
  /** From sending the batch to its answer, on the device's clock. */
  roundTripMs: number;
}

/** Half the body limit: JSON escaping and headers never push a batch over it. */
const BATCH_BYTE_BUDGET = MAX_PUSH_BODY_BYTES / 2;

/**
 * Sizes push batches by how long the office takes to answer them, so a busy office gets smaller
 * requests it can answer before the device gives up, and an idle one gets fewer, larger ones.
 * A batch starts modest; one answered well within the target time lets the next one double (when
 * it was full: a short batch says nothing of a bigger one), a slow answer shrinks the next at least
 * by half and in proportion to how slow it was, and so does a busy answer (503) or none at all.
 */
export class PushPacer {
  /** An answer within this time is what the office can take without strain. */
  static readonly TARGET_ANSWER_MS = 5_000;
  static readonly INITIAL_ENTRIES = 50;
  /** Below this a request is mostly overhead; shrinking further would only multiply them. */
  static readonly MIN_ENTRIES = 10;

  readonly #largest: number;
  readonly #smallest: number;
  #size: number;

  /** `largest`: entries per batch at most (MAX_PUSH_ENTRIES unless lower). */
  constructor(largest: number = MAX_PUSH_ENTRIES) {
    this.#largest = Math.max(1, Math.min(largest, MAX_PUSH_ENTRIES));
    this.#smallest = Math.min(PushPacer.MIN_ENTRIES, this.#largest);
    this.#size = Math.min(PushPacer.INITIAL_ENTRIES, this.#largest);
  }

  /** Entries the next batch may hold. */
  get size(): number {
    return this.#size;
  }

  /** The fewest entries a batch is shrunk to: what a push of `pending` entries needs at most is pending / smallest batches. */
  get smallest(): number {
    return this.#smallest;
  }

  /** The office answered a batch of `entries` after `elapsedMs`. */
  answered(entries: number, elapsedMs: number): void {
    const target = PushPacer.TARGET_ANSWER_MS;
    if (elapsedMs > target) this.#resize(this.#size * Math.min(0.5, target / elapsedMs));
    else if (elapsedMs <= target / 2 && entries >= this.#size) this.#resize(this.#size * 2);
  }

  /** The office was too busy to answer (503), or no answer came back in time. */
  refused(): void {
    this.#resize(this.#size / 2);
  }

  #resize(entries: number): void {
    this.#size = Math.max(this.#smallest, Math.min(this.#largest, Math.floor(entries)));
  }
}

/** How long to wait for the answer to a push of `entries`: the office works through them one by one. */
export function pushTimeoutMs(entries: number): number {
  return Math.min(PUSH_TIMEOUT.maxMs, PUSH_TIMEOUT.baseMs + entries * PUSH_TIMEOUT.perEntryMs);
}

/** The next batch: the oldest pending entries, at most MAX_PUSH_ENTRIES and within the byte budget. */
export function nextBatch(db: DeviceDb, maxEntries = MAX_PUSH_ENTRIES): JournalEntry[] {
  const candidates = listPendingEntries(db, Math.min(maxEntries, MAX_PUSH_ENTRIES));
  let bytes = 0;
  const batch: JournalEntry[] = [];
  for (const entry of candidates) {
    bytes += JSON.stringify(entry).length;
    if (batch.length > 0 && bytes > BATCH_BYTE_BUDGET) break;
    batch.push(entry);
  }
  return batch;
}

/**
 * Sends one batch of pending entries, sized by `pacer`, and applies the office's answer in one
 * transaction: outbox marks, failed list, conflict inbox, canonical records with pending operations
 * re-applied, the anchor receipt. An answer that does not belong to the batch, or whose receipt does
 * not verify, changes nothing (the entries stay pending; the office answers a resend identically).
 */
export async function pushBatch(deps: PushDeps, pacer: PushPacer): Promise<PushBatchReport | null> {
  const { db, sqlite, deviceId, clock, transport, enrollment, schemaVersion, appVersion } = deps;
  const entries = nextBatch(db, pacer.size);
  if (entries.length === 0) return null;
  const sentAt = clock.now();
  const request = { schemaVersion, deviceId, sentAt, clockSample: readClockSample(db), ...(appVersion ? { appVersion } : {}), entries: linkEntries(entries), leanAnswer: true };
  let response: PushResponse;
  try {
    response = await callOffice(transport, '/v1/sync/push', request, pushResponseSchema, deviceHeaders(enrollment.credential, schemaVersion), {
      timeoutMs: pushTimeoutMs(entries.length),
    });
  } catch (error) {
    if (error instanceof SyncError && (error.code === 'network' || error.status === 503)) pacer.refused();
    throw error;
  }
  const answeredAt = clock.now();
  pacer.answered(entries.length, answeredAt - sentAt);
  const results = checkAnswer(db, entries, response, enrollment);
  return sqlite.transaction(() => {
    recordClockSample(db, sentAt, response.time, answeredAt);
    return { ...applyAnswer(db, entries, results, response, answeredAt), roundTripMs: answeredAt - sentAt };
  })();
}

/** One result per entry sent, once the answer is known to be for them and its receipt verifies. */
function checkAnswer(db: DeviceDb, entries: readonly JournalEntry[], response: PushResponse, enrollment: StoredEnrollment): EntryResult[] {
  const { receipt } = response;
  const results = expandLeanResults(
    entries.map((entry) => ({ seq: entry.body.seq, hash: entry.hash })),
    response.results,
    receipt,
  );
  // The office computes the hash of what reached it (linked entries carry none): an entry it took
  // must hash as sent; one altered on the way is refused with the hash of what arrived.
  if (!results || results.some((result, i) => result.acknowledged && result.hash !== entries[i]!.hash)) throw new SyncError('bad-response', 'the office answered for other entries than the ones sent; nothing was applied', true);
  if (receipt.deviceId !== enrollment.deviceId || !verifyAnchorReceipt(receipt, hexToBytes(enrollment.serverPublicKey))) {
    throw new SyncError('bad-receipt', 'the anchor receipt is not signed by the office this device enrolled with; nothing was applied', false);
  }
  const lastAcknowledged = Math.max(0, ...results.filter((result) => result.acknowledged).map((result) => result.seq));
  if (receipt.seq < lastAcknowledged) {
    throw new SyncError('bad-receipt', `the receipt anchors entry ${receipt.seq} but the office acknowledged up to ${lastAcknowledged}`, false);
  }
  const previous = readAnchor(db);
  if (previous && receipt.seq < previous.seq) {
    throw new SyncError('bad-receipt', `the office anchors entry ${receipt.seq}, behind the ${previous.seq} it anchored before (did it lose data?)`, false);
  }
  const anchored = receipt.seq > 0 ? readJournalEntry(db, receipt.seq) : null;
  const sentLast = entries.at(-1)!.body.seq;
  if (receipt.seq > sentLast && !anchored) {
    throw new SyncError('bad-receipt', `the office holds entries up to ${receipt.seq}, beyond this device's journal`, false);
  }
  if (anchored && anchored.hash !== receipt.head) {
    throw new SyncError('bad-receipt', `the office's chain head at entry ${receipt.seq} is not this device's`, false);
  }
  return results;
}

function applyAnswer(db: DeviceDb, entries: readonly JournalEntry[], results: readonly EntryResult[], response: PushResponse, now: number): Omit<PushBatchReport, 'roundTripMs'> {
  const report: Omit<PushBatchReport, 'roundTripMs'> = { sent: entries.length, acknowledged: [], failed: [], notAcknowledged: [], conflicts: 0, receipt: response.receipt };
  const canonical = new Map(response.records.map((record) => [recordKey(record.type, record.id), record]));
  const touched = new Map<string, { type: string; id: string; acknowledged: boolean }>();

  const states = readOutboxStates(db, entries.map((entry) => entry.body.seq));
  const toAcknowledge: number[] = [];
  for (const [i, entry] of entries.entries()) {
    const result = results[i]!;
    const { body } = entry;
    // Settled by an earlier answer (a second client of the same device): settled once only.
    if (states.get(body.seq) !== 'pending') continue;
    if (body.kind === 'record') {
      const key = recordKey(body.recordType, body.recordId);
      const seen = touched.get(key);
      touched.set(key, { type: body.recordType, id: body.recordId, acknowledged: (seen?.acknowledged ?? false) || result.acknowledged });
    }
    if (!result.acknowledged) {
      const reason = result.reason ?? 'not-acknowledged';
      const message = result.message ?? 'the office did not take this entry';
      noteUnacknowledged(db, body.seq, `${reason}: ${message}`);
      report.notAcknowledged.push({ seq: body.seq, reason, message });
      continue;
    }
    report.acknowledged.push(body.seq);
    if (result.outcome === 'rejected') {
      const reason = result.reason ?? 'policy-rejected';
      markFailed(db, body.seq, { reason, message: result.message ?? `the office rejected this change (${reason})` }, now);
      report.failed.push(body.seq);
    } else {
      toAcknowledge.push(body.seq);
    }
    if (body.kind === 'record' && result.outcome !== 'accepted') {
      const kept = canonical.get(recordKey(body.recordType, body.recordId)) ?? null;
      insertConflict(db, describeConflict(body, { ...result, outcome: result.outcome }, kept, now));
      report.conflicts++;
    }
  }

  markAcknowledged(db, toAcknowledge, now);
  for (const record of response.records) settleRecord(db, record.type, record.id, record, now);
  // A record the office does not hold after taking an entry for it was never created there.
  for (const [key, { type, id, acknowledged }] of touched) {
    if (acknowledged && !canonical.has(key)) settleRecord(db, type, id, null, now);
  }
  writeSyncValue(db, 'anchor', response.receipt);
  return report;
}

function recordKey(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

type Noteworthy = EntryResult & { outcome: Exclude<EntryResult['outcome'], 'accepted'> };

/** "What happened, what the server kept", for the conflict inbox. */
function describeConflict(body: RecordEntryBody, result: Noteworthy, canonical: CanonicalRecord | null, now: number) {
  const record = `${recordTypeSpec(body.recordType)?.label ?? body.recordType} ${body.recordId}`;
  const lead = {
    merged: `Your change to ${record} was combined with other changes.`,
    conflict: `Your change to ${record} competes with another one; a reviewer will decide and the record shows as pending review.`,
    rejected: `The office did not accept your change to ${record}.`,
  }[result.outcome];
  const details = (result.fields ?? [])
    .filter((field) => field.outcome !== 'applied')
    // A field's reason is often the entry's message itself: said once is enough.
    .map((field) => `${field.key ? `${field.field}[${field.key}]` : field.field}: ${field.outcome}${field.reason && field.reason !== result.message ? ` (${field.reason})` : ''}`);
  const why = [result.message, ...details].filter(Boolean).join('; ');
  const fieldsWritten = new Set(body.ops.flatMap((op) => ('field' in op ? [op.field] : [])));
  return {
    seq: body.seq,
    operatorId: body.operatorId,
    recordType: body.recordType,
    recordId: body.recordId,
    outcome: result.outcome,
    fieldOutcomes: result.fields ?? null,
    whatHappened: why ? `${lead} ${why}` : lead,
    localValue: { action: body.action, ops: body.ops },
    serverKept: canonical
      ? { version: canonical.version, deleted: canonical.deleted, fields: Object.fromEntries([...fieldsWritten].map((name) => [name, canonical.fields[name] ?? null])) }
      : null,
    createdAt: now,
  };
}
