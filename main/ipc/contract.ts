import { z } from 'zod';
import { actionInputSchema, identifier, recordTypeSchema, type FieldOperation, type RecordAction } from '../../protocol/actions.js';
import type { ChecklistTemplate } from '../../protocol/checklists.js';
import { ATTACHMENT_MIME_TYPES, MAX_ATTACHMENT_BYTES, sha256, type AttachmentMimeType, type RecordType } from '../../protocol/records/index.js';
import { text } from '../../protocol/text.js';

/**
 * The whole API between the renderer and the main-process core, in one map: method name → the zod
 * schema its input must pass, and the type it answers. The core validates every call against this
 * map (handlers.ts) because the renderer is not trusted; the renderer imports only the types.
 *
 * The answer types are views declared here rather than the core's own types: they are the public
 * shape of the boundary, they keep the renderer's type graph free of Node and SQLite, and
 * handlers.ts only compiles while the core's data still fits them.
 */

declare const answerType: unique symbol;
/** Marks the type a method answers; it exists only for the type checker. */
export interface Answers<T> {
  readonly [answerType]: T;
}
function answers<T>(): Answers<T> {
  return {} as Answers<T>;
}

export type OperatorRole = 'inspector' | 'gate-clerk' | 'supervisor';

export interface SessionView {
  sessionId: string;
  operatorId: string;
  displayName: string;
  role: OperatorRole;
  openedAt: number;
  /** When the session locks by itself: idle (using the app puts it off) or at the time limit since sign-in. */
  lock: { inMs: number; reason: 'idle' | 'limit'; warnMs: number };
}

/** A mechanic's certification of repairs, for the next driver to review (main/core/repair-review.ts). */
export interface RepairToReviewView {
  recordId: string;
  equipmentNumber: string;
  inspectionId: string;
  repairs: { defect: string; label: string; disposition: 'repaired' | 'deferred' | 'no-repair-needed'; reason?: string }[];
  mechanicName: string;
  certifiedAt: number;
  /** The office's signature holds under the key this device was enrolled with. */
  verified: boolean;
}

/** Why an inspector should look again before marking a work order done by hand (main/core/work-order-done.ts). */
export type DoneCautionView =
  | { kind: 'inspection-in-progress'; inspectionId: string; equipmentNumber: string }
  | { kind: 'unresolved-defects'; inspectionId: string; equipmentNumber: string; defects: string[] };

export interface RecordView {
  type: RecordType;
  id: string;
  fields: Record<string, unknown>;
  deleted: boolean;
  syncState: 'local' | 'pending' | 'synced' | 'conflict';
  pendingReview: boolean;
  serverVersion: number | null;
  lastSeq: number;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export interface PerformedAction {
  /** Journal sequence number of the entry that recorded the action. */
  seq: number;
  record: RecordView;
}

export interface HistoryEntryView {
  seq: number;
  action: RecordAction;
  ops: FieldOperation[];
  operatorId: string;
  /** Who made the change, while the device still knows them. */
  operatorName: string | null;
  sessionId: string;
  deviceTime: number;
  hash: string;
  /** The operations in words: each field by its label, each value shaped as the opened record shows it. */
  changes: { label: string; change: 'set' | 'add' | 'remove' | 'increment' | 'delete'; value: RecordValueView }[];
  /** What the office made of the change, as far as this device knows; `message` says why it was not accepted. */
  office: { outcome: 'not-sent' | 'accepted' | 'merged' | 'conflict' | 'rejected'; message: string | null };
}

/** The record types the Records screens list, search and open. */
export const SEARCHABLE_RECORD_TYPES = ['inspection', 'gateEvent', 'equipmentInterchange'] as const;
export type SearchableRecordType = (typeof SEARCHABLE_RECORD_TYPES)[number];

/** Where a record stands with the office: only on this device so far, sent, or waiting for someone to look at it. */
export type RecordSyncView = 'on-device' | 'sent' | 'needs-review';

/** One record of a Records list. */
export interface RecordRowView {
  recordType: SearchableRecordType;
  recordId: string;
  /** As people name it (unit, plate), never its id. */
  title: string;
  /** When it happened: the truck passed the gate, the inspection was submitted (started, for a draft), the equipment changed hands. */
  at: number;
  /** Who recorded it; null when it came from the office or another device. */
  who: string | null;
  sync: RecordSyncView;
  status: 'draft' | 'submitted';
  /** It corrects an earlier record. */
  correction: boolean;
}

export interface RecordSearchView {
  rows: RecordRowView[];
  /** More records match than were answered. */
  more: boolean;
  /** Records closed before this time may have left the device and are kept at the office; null while nothing leaves. */
  keptSince: number | null;
}

/** Another record a field names; `openable` when the Records screens can open it here. */
export type RecordLinkView = { recordId: string; title: string } & (
  | { openable: true; recordType: SearchableRecordType }
  | { openable: false; recordType: RecordType }
);

export interface ChecklistAnswerView {
  label: string;
  /** Null: the item is not answered. */
  result: 'pass' | 'fail' | 'na' | null;
  note: string | null;
}

/** A value as an opened record shows it: the screen puts times in local time and shows images. Empty values are null or []. */
export type RecordValueView =
  | { kind: 'text'; text: string | null }
  | { kind: 'number'; value: number | null }
  | { kind: 'list'; items: string[] }
  | { kind: 'time'; at: number | null }
  | { kind: 'photos'; sha256: string[] }
  | { kind: 'signature'; sha256: string | null }
  | { kind: 'record'; record: RecordLinkView | null }
  | { kind: 'checklist'; answers: ChecklistAnswerView[] };

/** A whole record, read-only: every field by its label, in the record type's order. */
export interface RecordDetailView {
  row: RecordRowView;
  /** What kind of record it is ("Gate event"). */
  kind: string;
  fields: { field: string; label: string; value: RecordValueView }[];
  /** Later records that correct this one. */
  correctedBy: RecordLinkView[];
  /** Submitted and not corrected yet: a correction may be made. */
  correctable: boolean;
}

export interface DeviceStatusView {
  deviceId: string;
  devicePublicKey: string;
  /** The site records made here belong to: the enrolled one, or the install's until enrollment. */
  siteId: string;
  enrollment: { organisationId: string; siteId: string; kind: 'cab' | 'kiosk'; enrolledAt: number } | null;
  session: SessionView | null;
  journal: { entries: number; lastSeq: number; head: string; checkpoints: number };
  outbox: { pending: number; acknowledged: number; failed: number };
  storage: StorageDiagnosticsView;
}

/** Background compaction and eviction, and the last comparison of the records held here with the office's. */
export interface StorageDiagnosticsView {
  maintenance: {
    lastRun: { at: number; checkpoints: number; entriesFolded: number; recordsEvicted: number; transactions: number; more: boolean } | null;
    lastError: { message: string; at: number } | null;
  };
  stateCheck: {
    checks: number;
    lastCheckedAt: number | null;
    /** When the device last held exactly what the office holds for it. */
    lastMatchedAt: number | null;
    /** Checks that found a difference; each fetched the records concerned again. */
    incidents: number;
    lastIncident: { at: number; differingBuckets: number; refetched: number; dropped: number; converged: boolean; records: string[] } | null;
    lastError: { code: string; message: string; at: number } | null;
  };
}

export type JournalVerification =
  | { ok: true; entriesVerified: number; lastSeq: number; head: string }
  | { ok: false; entriesVerified: number; failure: { code: string; seq: number | null; message: string } };

export interface StoredAttachmentView {
  /** The name actions refer to the attachment by. */
  sha256: string;
  size: number;
}

export interface AttachmentView {
  mimeType: AttachmentMimeType;
  dataBase64: string;
}

export interface SyncStatusView {
  /** The office this device is enrolled with, or null before enrollment. */
  enrollment: { organisationId: string; siteId: string; kind: 'cab' | 'kiosk' } | null;
  /** Sync runs on this device: it is enrolled and knows its office's address. */
  active: boolean;
  syncing: boolean;
  /** The network is up, as far as the operating system knows. */
  online: boolean;
  /** The office's live notifications are connected: its edits arrive without waiting. */
  live: boolean;
  lastSuccessAt: number | null;
  lastError: { code: string; message: string; transient: boolean; at: number } | null;
  nextAttemptAt: number | null;
  pending: number;
  /** Pending entries that are changes to records (pending also counts sign-ins and other audit entries). */
  changesWaiting: number;
  failed: number;
  unseenConflicts: number;
  /** The office refuses this version of the app: sync has stopped until it is updated (versions are the office's sync formats). */
  updateRequired: { minimumVersion: number; currentVersion: number; requiredAppVersion?: string; message: string } | null;
  /** Goes up whenever sync changed the data on this device: screens load again what they show. */
  revision: number;
  /** Photos and signatures the office has yet to confirm, and, while some wait, why in plain words when a try failed. */
  uploads: { waiting: number; problem: string | null };
}

/** One item of the conflict inbox: what happened to a change, and what the office kept. */
export interface ConflictView {
  id: number;
  /** The journal entry of the change, when it was one of this device's. */
  seq: number | null;
  recordType: string;
  recordLabel: string;
  recordId: string;
  /** The record as people name it (a plate, a unit number, a title), never its id. */
  recordTitle: string;
  outcome: 'merged' | 'conflict' | 'rejected';
  /** What the office did with each field the change touched; null for items kept before the device stored it. */
  fieldOutcomes: { field: string; key?: string; outcome: 'applied' | 'merged' | 'superseded' | 'rejected' | 'review' | 'observed' }[] | null;
  /** Whose change it was: the signed-in operator's own, or (on items from before they had one) someone unknown. */
  yours: boolean;
  /** Labels of the map keys the change touched (checklist item id → its label). */
  keyLabels: Record<string, string>;
  /** What this device sent. */
  local: { action: RecordAction; ops: FieldOperation[] } | null;
  /** The fields the change touched, as the office kept them (null: the office has no such record). */
  serverKept: { version: number; deleted: boolean; fields: Record<string, unknown> } | null;
  createdAt: number;
  seenAt: number | null;
}

/** An entry the office rejected: it waits for the operator to retry or discard it. */
export interface FailedEntryView {
  seq: number;
  recordType: string;
  recordLabel: string;
  recordId: string;
  recordTitle: string;
  /** Labels of the map keys the change touched (checklist item id → its label). */
  keyLabels: Record<string, string>;
  action: RecordAction;
  ops: FieldOperation[];
  operatorId: string;
  /** Who made the change, when the device still knows them. */
  operatorName: string | null;
  deviceTime: number;
  reason: string;
  message: string;
  failedAt: number;
}

export interface ReceiptPdfView {
  fileName: string;
  pdfBase64: string;
}

/** Base64 takes four characters for every three bytes. */
const MAX_ATTACHMENT_BASE64_LENGTH = Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4;
const MAX_ATTACHMENT_MB = MAX_ATTACHMENT_BYTES / (1024 * 1024);

const noInput = z.strictObject({});
/** Which form a draft is, e.g. `gate-event.new`. */
const draftForm = z.string().regex(/^[a-z][a-z0-9._:-]{0,127}$/i, 'a form name is letters, digits and . _ : - only');
const MAX_DRAFT_LENGTH = 64 * 1024;
const recordRef = z.strictObject({ recordType: recordTypeSchema, recordId: identifier });
/** The longest text the Records search takes: longer than any unit, plate or container number. */
export const SEARCH_TEXT_MAX = 64;
/** The most records one search answers; the screen asks to narrow the search past it. */
export const SEARCH_LIMIT_MAX = 100;
const epochMs = z.number('must be a time').int('must be a whole number of milliseconds').nonnegative('cannot be before 1970');
const searchableRef = z.strictObject({
  recordType: z.enum(SEARCHABLE_RECORD_TYPES, 'must be an inspection, a gate event or an equipment interchange'),
  recordId: identifier,
});
/** A journal sequence number or an inbox item's number. */
const entryNumber = z.number('must be a number').int('must be a whole number').min(1, 'must be 1 or more').max(Number.MAX_SAFE_INTEGER, 'is too large');

export const ipcContract = {
  'session.signIn': {
    input: z.strictObject({
      badgeId: z.string().trim().min(1, 'enter your badge id').max(64, 'a badge id is at most 64 characters'),
      pin: z.string().regex(/^\d{4,12}$/, 'a PIN is 4 to 12 digits'),
    }),
    output: answers<SessionView>(),
  },
  'session.signOut': { input: noInput, output: answers<null>() },
  /** null when nobody is signed in; refused (not-signed-in, with the reason) when the office ended the last session and nobody signed in since. */
  'session.current': { input: noInput, output: answers<SessionView | null>() },
  /** The operator is using the screen (typing, tapping, "Stay signed in"): the idle lock starts over. */
  'session.keepAlive': { input: noInput, output: answers<SessionView>() },
  /** The signed-in operator's unsaved form, as last kept; null when there is none. */
  'drafts.get': { input: z.strictObject({ form: draftForm }), output: answers<string | null>() },
  /** Keeps the signed-in operator's unsaved form (null: forget it, e.g. once saved). */
  'drafts.put': {
    input: z.strictObject({ form: draftForm, value: z.string().max(MAX_DRAFT_LENGTH, 'an unsaved form is too large to keep').nullable() }),
    output: answers<null>(),
  },
  'records.perform': { input: actionInputSchema, output: answers<PerformedAction>() },
  'records.list': { input: z.strictObject({ recordType: recordTypeSchema }), output: answers<RecordView[]>() },
  'records.get': { input: recordRef, output: answers<RecordView | null>() },
  'records.history': { input: recordRef, output: answers<HistoryEntryView[]>() },
  /** Records of one type found by a unit, plate or container number within a time range, newest first. */
  'records.search': {
    input: z
      .strictObject({
        recordType: searchableRef.shape.recordType,
        text: z.string('must be text').pipe(text().max(SEARCH_TEXT_MAX, `is too long for a search: at most ${SEARCH_TEXT_MAX} characters`)).default(''),
        from: epochMs,
        to: epochMs,
        limit: z.number('must be a number').int('must be a whole number').min(1, 'must be 1 or more').max(SEARCH_LIMIT_MAX, `is at most ${SEARCH_LIMIT_MAX}`).default(50),
      })
      .refine(({ from, to }) => from < to, { message: 'the range must end after it starts', path: ['to'] }),
    output: answers<RecordSearchView>(),
  },
  /** A whole record, labelled, for reading; null when the device no longer holds it. */
  'records.open': { input: searchableRef, output: answers<RecordDetailView | null>() },
  /** Submits an inspection; the work order it was started from, if still open, is marked done in the same transaction. */
  'inspections.submit': { input: z.strictObject({ recordId: identifier, submittedAt: z.number().int().nonnegative() }), output: answers<PerformedAction[]>() },
  /** What the order's inspections still leave open (one in progress, defects not repaired); empty when marking it done needs no confirmation. */
  'workOrders.doneCautions': { input: z.strictObject({ recordId: identifier }), output: answers<DoneCautionView[]>() },
  /** Repair certifications no driver has reviewed yet, newest first. */
  'repairs.toReview': { input: noInput, output: answers<RepairToReviewView[]>() },
  /** The signed-in driver has reviewed a certification (refused if its office signature does not hold). */
  'repairs.review': { input: z.strictObject({ recordId: identifier }), output: answers<PerformedAction>() },
  /** The signed receipt (PDF) of a submitted inspection or interchange; refused (receipt-unavailable) for one not submitted. */
  'receipts.pdf': {
    input: z.strictObject({ recordType: z.enum(['inspection', 'equipmentInterchange'], 'a receipt is printed of an inspection or an equipment interchange'), recordId: identifier }),
    output: answers<ReceiptPdfView>(),
  },
  'device.status': { input: noInput, output: answers<DeviceStatusView>() },
  /** Closes the app: on a gate kiosk only for a signed-in supervisor (the kiosk window refuses any other way out). */
  'app.close': { input: noInput, output: answers<{ closing: true }>() },
  'journal.verify': { input: noInput, output: answers<JournalVerification>() },
  'templates.list': { input: noInput, output: answers<ChecklistTemplate[]>() },
  'attachments.put': {
    input: z.strictObject({
      mimeType: z.enum(ATTACHMENT_MIME_TYPES, 'a photo or signature is a PNG, JPEG or WebP image'),
      dataBase64: z
        .string()
        .min(1, 'the file is empty')
        // Checked first and alone, so an oversized call is not also scanned as base64.
        .max(MAX_ATTACHMENT_BASE64_LENGTH, { message: `a photo or signature may be at most ${MAX_ATTACHMENT_MB} MB`, abort: true })
        .base64('the file data is not base64'),
    }),
    output: answers<StoredAttachmentView>(),
  },
  'attachments.get': { input: z.strictObject({ sha256 }), output: answers<AttachmentView>() },
  'sync.status': { input: noInput, output: answers<SyncStatusView>() },
  'sync.now': { input: noInput, output: answers<SyncStatusView>() },
  'conflicts.list': { input: z.strictObject({ unseenOnly: z.boolean().optional() }), output: answers<ConflictView[]>() },
  'conflicts.markSeen': { input: z.strictObject({ id: entryNumber }), output: answers<{ marked: boolean }>() },
  'failed.list': { input: noInput, output: answers<FailedEntryView[]>() },
  'failed.retry': { input: z.strictObject({ seq: entryNumber }), output: answers<PerformedAction>() },
  'failed.discard': { input: z.strictObject({ seq: entryNumber }), output: answers<{ discardSeq: number }>() },
} as const;

export type IpcContract = typeof ipcContract;
export type IpcMethod = keyof IpcContract;
export type IpcInput<M extends IpcMethod> = z.input<IpcContract[M]['input']>;
export type IpcParsedInput<M extends IpcMethod> = z.output<IpcContract[M]['input']>;
export type IpcOutput<M extends IpcMethod> = IpcContract[M]['output'] extends Answers<infer T> ? T : never;

export interface IpcError {
  /** A core error code ('wrong-pin', 'invalid-value', ...), 'invalid-input', 'unknown-method' or 'internal'. */
  code: string;
  message: string;
  /** The input field the error is about, when there is one. */
  field?: string;
  /** A refused sign-in: wrong PINs the badge may still have before sign-in with it pauses, and how long it is paused (0: not). */
  retry?: { attemptsLeft: number; retryInMs: number };
}

export type IpcResult<T = unknown> = { ok: true; value: T } | { ok: false; error: IpcError };

/** What the preload (and the dev host's browser shim) put on `window.waypost`. */
export interface WaypostApi {
  invoke<M extends IpcMethod>(method: M, input: IpcInput<M>): Promise<IpcResult<IpcOutput<M>>>;
}
