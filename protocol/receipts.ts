import { z } from 'zod';
import { fieldPresentation, fieldWords } from './records/presentation.js';
import { canonicalize } from './canonical.js';
import { publicKeyProblem } from './crypto/ed25519.js';
import { hexToBytes } from './crypto/hash.js';
import { identifier } from './field-operations.js';
import { type JournalEntry, type RecordEntryBody, journalEntrySchema, signedCertificateSchema, type SignedCertificate } from './journal.js';
import { applyAction, type RecordState } from './operations.js';
import { equipmentInterchange, inspection, type RecordFields } from './records/index.js';
import { text } from './text.js';
import { certifiedSession, verifyParsedEntry, type ChainFailureCode, type DeviceIdentity } from './verify.js';
import { hex32 } from './wire/shapes.js';

/**
 * Signed receipts: a submitted inspection (DVIR) or equipment interchange (EIR) printed with what
 * anyone needs to check it offline against the device's signed journal. The submit entry alone
 * says who submitted which record when, but not what the record held, so a receipt carries every
 * entry of the record on the device, from its create to its submit, with the session certificates
 * that vouch for their keys and the device key that signed those certificates. The verifier checks
 * each entry, replays them with the same rules the device and office apply (protocol/operations.ts)
 * and compares the page with what the replay prints. Device (rendering), CLI and tests share this
 * module, so what a valid receipt is lives here only.
 */
export const RECEIPT_FORMAT_VERSION = 1;
export const RECEIPT_RECORD_TYPES = ['inspection', 'equipmentInterchange'] as const;
export type ReceiptRecordType = (typeof RECEIPT_RECORD_TYPES)[number];
/** The name of the payload attached to the PDF. */
export const RECEIPT_ATTACHMENT_NAME = 'waypost-receipt.json';
/** Sessions over an inspection's life are few (sign-outs, idle locks); more is not a receipt this device makes. */
const MAX_RECEIPT_SESSIONS = 64;
const MAX_RECEIPT_ENTRIES = 5000;
const printedText = text().max(500);

/**
 * What the device printed beside the signed record: names and labels the journal holds only by id.
 * None of it is signed; the verifier says so and checks only that the page prints it as given.
 */
export const receiptContextSchema = z.strictObject({
  operatorName: printedText.nullable(),
  site: printedText.nullable(),
  /** Minutes east of UTC of the device's clock when it printed: the page's times are local to the yard. */
  utcOffsetMinutes: z.number().int().min(-14 * 60).max(14 * 60),
  checklistTitle: printedText.nullable(),
  /** The checklist's items in the order printed, as the device's checklist labelled them. */
  checklistItems: z.array(z.strictObject({ id: identifier, label: printedText })).max(200),
});
export type ReceiptContext = z.infer<typeof receiptContextSchema>;

export const receiptPayloadSchema = z.strictObject({
  v: z.literal(RECEIPT_FORMAT_VERSION),
  recordType: z.enum(RECEIPT_RECORD_TYPES),
  recordId: identifier,
  deviceId: identifier,
  devicePublicKey: hex32,
  sessions: z.array(signedCertificateSchema).min(1).max(MAX_RECEIPT_SESSIONS),
  /** The record's entries on the device, create first, submit last. */
  entries: z.array(journalEntrySchema).min(2).max(MAX_RECEIPT_ENTRIES),
  context: receiptContextSchema,
});
export type ReceiptPayload = z.infer<typeof receiptPayloadSchema>;

export type ReceiptFailureCode =
  | 'payload-missing'
  | 'payload-malformed'
  | 'weak-device-key'
  | 'device-key-mismatch'
  | 'wrong-device'
  | 'wrong-record'
  | 'not-in-order'
  | 'hash-mismatch'
  | 'bad-signature'
  | 'bad-certificate'
  | 'no-certificate'
  | 'incomplete-history'
  | 'replay-failed'
  | 'printed-mismatch'
  | 'qr-mismatch';

export interface ReceiptFailure {
  code: ReceiptFailureCode;
  message: string;
  /** The entry the failure is about, when it is about one. */
  seq?: number;
}

/** What a receipt proves once it holds. */
export interface VerifiedReceipt {
  recordType: ReceiptRecordType;
  recordId: string;
  deviceId: string;
  devicePublicKey: string;
  /** Who submitted it: the operator the session certificate names. */
  operatorId: string;
  seq: number;
  hash: string;
  /** The device's clock at the submit, as signed. */
  submittedAt: number;
  fields: RecordFields;
  context: ReceiptContext;
}

export type ReceiptVerdict = { ok: true; receipt: VerifiedReceipt } | { ok: false; failure: ReceiptFailure };

const RECORD_SPECS = { inspection, equipmentInterchange } as const;

const FAILURES_BY_CHAIN_CODE: Partial<Record<ChainFailureCode, ReceiptFailureCode>> = {
  'hash-mismatch': 'hash-mismatch',
  'bad-signature': 'bad-signature',
  'non-canonical-signature': 'bad-signature',
  'signed-by-device-key': 'bad-signature',
  'session-mismatch': 'bad-certificate',
  'wrong-device': 'wrong-device',
};

/**
 * Checks a receipt's payload: each entry hashes to its hash and is signed by a session key that a
 * certificate signed by the device key vouches for; the entries are the named record's, in journal
 * order, from its create to its submit; replayed, they make a submitted record. With `printed`,
 * the text drawn on the page must also be what that record prints (see receiptLines).
 *
 * What it cannot show: that no entry of the record between create and submit was left out (the
 * entries are not consecutive in the chain). The office's copy of the journal settles that.
 */
export interface ReceiptCheckOptions {
  /** The text drawn on the page, in order. */
  printed?: readonly string[];
  /** The device's key as the office enrolled it (hex), learnt apart from the receipt: without it the receipt only shows it agrees with itself. */
  devicePublicKey?: string;
}

export function verifyReceipt(payload: unknown, options: ReceiptCheckOptions = {}): ReceiptVerdict {
  if (payload === null || payload === undefined) return failed('payload-missing', 'the file carries no receipt payload');
  const parsed = receiptPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return failed('payload-malformed', `the receipt payload is malformed: ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`);
  }
  const receipt = parsed.data;
  if (options.devicePublicKey !== undefined && options.devicePublicKey.toLowerCase() !== receipt.devicePublicKey) {
    return failed('device-key-mismatch', `the receipt names device key ${receipt.devicePublicKey}, not the key ${options.devicePublicKey} given for the device`);
  }
  const devicePublicKey = hexToBytes(receipt.devicePublicKey);
  const keyProblem = publicKeyProblem(devicePublicKey);
  if (keyProblem) return failed('weak-device-key', `the device key is refused: it ${keyProblem}`);
  const device: DeviceIdentity = { deviceId: receipt.deviceId, devicePublicKey };

  const checked = checkEntries(receipt, device);
  if ('code' in checked) return { ok: false, failure: checked };
  const replayed = replay(receipt);
  if ('code' in replayed) return { ok: false, failure: replayed };

  const submit = receipt.entries.at(-1)!;
  const verified: VerifiedReceipt = {
    recordType: receipt.recordType,
    recordId: receipt.recordId,
    deviceId: receipt.deviceId,
    devicePublicKey: receipt.devicePublicKey,
    operatorId: submit.body.operatorId,
    seq: submit.body.seq,
    hash: submit.hash,
    submittedAt: submit.body.deviceTime,
    fields: replayed.fields,
    context: receipt.context,
  };
  if (options.printed) {
    const mismatch = printedMismatch(receiptLines(verified).map((line) => line.text), options.printed);
    if (mismatch) return failed('printed-mismatch', mismatch);
  }
  return { ok: true, receipt: verified };
}

function checkEntries(receipt: ReceiptPayload, device: DeviceIdentity): ReceiptFailure | { ok: true } {
  const certificates = new Map<string, SignedCertificate>(receipt.sessions.map((signed) => [signed.certificate.sessionId, signed]));
  let previousSeq = 0;
  for (const entry of receipt.entries) {
    const { body } = entry;
    if (body.kind !== 'record' || body.recordType !== receipt.recordType || body.recordId !== receipt.recordId) {
      return { code: 'wrong-record', seq: body.seq, message: `entry ${body.seq} is not about ${receipt.recordType} ${receipt.recordId}` };
    }
    if (body.seq <= previousSeq) return { code: 'not-in-order', seq: body.seq, message: `entry ${body.seq} comes after entry ${previousSeq}` };
    previousSeq = body.seq;
    const failure = checkSignedEntry(entry, certificates.get(body.sessionId), device);
    if (failure) return failure;
  }
  return { ok: true };
}

/** One entry, signed by the session `signed` certifies, that certificate by the device's key. */
function checkSignedEntry(entry: JournalEntry, signed: SignedCertificate | undefined, device: DeviceIdentity): ReceiptFailure | null {
  const { body } = entry;
  if (!signed || signed.certificate.sessionId !== body.sessionId) {
    return { code: 'no-certificate', seq: body.seq, message: `no session certificate for session ${body.sessionId} of entry ${body.seq}` };
  }
  const session = certifiedSession(signed, false, device);
  if (typeof session === 'string') {
    return { code: 'bad-certificate', seq: body.seq, message: `${session} (certificate not by device ${device.deviceId})` };
  }
  if (signed.certificate.firstSeq > body.seq) {
    return { code: 'bad-certificate', seq: body.seq, message: `entry ${body.seq} is older than session ${body.sessionId}, which starts at ${signed.certificate.firstSeq}` };
  }
  // Checked as the chain verifier checks an entry, from a chain state that ends just before it:
  // hash, canonical signature, the session's key and operator. The link to the entry before is
  // the one thing taken from the entry itself, since a receipt does not hold that entry.
  const verdict = verifyParsedEntry({ lastSeq: body.seq - 1, head: body.prevHash, session }, entry, device);
  if (verdict.ok) return null;
  return { code: FAILURES_BY_CHAIN_CODE[verdict.failure.code] ?? 'bad-signature', seq: body.seq, message: `entry ${body.seq}: ${verdict.failure.message}` };
}

function replay(receipt: ReceiptPayload): ReceiptFailure | { fields: RecordFields } {
  const spec = RECORD_SPECS[receipt.recordType];
  const bodies = receipt.entries.map((entry) => entry.body as RecordEntryBody);
  const first = bodies[0]!;
  const last = bodies.at(-1)!;
  if (first.action !== 'create') {
    return { code: 'incomplete-history', seq: first.seq, message: `the entries start at entry ${first.seq} (${first.action}), not at the record's create` };
  }
  if (last.action !== 'submit') return { code: 'incomplete-history', seq: last.seq, message: `the last entry (${last.seq}) is not the submit` };
  let state: RecordState | null = null;
  for (const body of bodies) {
    const applied = applyAction(spec, state, body.action, body.ops);
    if (!applied.ok) return { code: 'replay-failed', seq: body.seq, message: `entry ${body.seq} does not apply: ${applied.error.message}` };
    state = applied.state;
  }
  return { fields: state!.fields };
}

/** Text drawn on the page, compared as words: how lines wrap depends on the page, not the record. */
function printedMismatch(expected: readonly string[], printed: readonly string[]): string | null {
  const words = (lines: readonly string[]) => lines.join(' ').split(/\s+/).filter(Boolean);
  const want = words(expected);
  const found = words(printed);
  const at = want.findIndex((word, index) => word !== found[index]);
  if (at === -1 && found.length === want.length) return null;
  const index = at === -1 ? want.length : at;
  const near = (list: string[]) => list.slice(Math.max(0, index - 4), index + 4).join(' ') || '(nothing)';
  return `the printed text differs from the signed record: the page reads "${near(found)}" where the record prints "${near(want)}"`;
}

function failed(code: ReceiptFailureCode, message: string): ReceiptVerdict {
  return { ok: false, failure: { code, message } };
}

/** Titles as the forms are called in the yard. */
export const RECEIPT_TITLES: Readonly<Record<ReceiptRecordType, string>> = {
  inspection: 'Driver Vehicle Inspection Report',
  equipmentInterchange: 'Equipment Interchange Receipt',
};

/** A line of the page; headings are printed larger. */
export interface ReceiptLine {
  text: string;
  style: 'title' | 'heading' | 'body' | 'footer';
}

/** A signature image to print under its label: the record names it by its SHA-256. */
export interface ReceiptSignature {
  label: string;
  sha256: string;
}

/**
 * What the page says, in order: built only from the verified record and the printed context, so
 * the verifier can build it again from the payload and compare. Plain printable ASCII only, which
 * every standard PDF font (WinAnsi) draws as is.
 */
export function receiptLines(receipt: VerifiedReceipt): ReceiptLine[] {
  const { fields, context } = receipt;
  const line = (value: string, style: ReceiptLine['style'] = 'body'): ReceiptLine => ({ text: printable(value), style });
  const optional = (label: string, value: unknown) => (value === null || value === undefined || value === '' ? [] : [line(`${label}: ${String(value)}`)]);
  const lines: ReceiptLine[] = [
    line(RECEIPT_TITLES[receipt.recordType], 'title'),
    line(`Record ${receipt.recordId}`),
    ...optional('Site', context.site),
    line(`Operator: ${context.operatorName ? `${context.operatorName} (${receipt.operatorId})` : receipt.operatorId}`),
    line(`Device: ${receipt.deviceId}`),
    line(`Submitted: ${localTime(receipt.submittedAt, context.utcOffsetMinutes)}`),
  ];
  lines.push(...(receipt.recordType === 'inspection' ? inspectionLines(fields, context, line, optional) : interchangeLines(fields, context, line, optional)));
  lines.push(
    line('Signed journal entry', 'heading'),
    line(`Entry ${receipt.seq} on device ${receipt.deviceId}, hash ${receipt.hash}`),
    line(`Verify offline: npm run verify-receipt -- <this file>.pdf (checks the signed entries attached to this PDF; the QR code carries the signed submit entry).`, 'footer'),
  );
  return lines;
}

type LineMaker = (value: string, style?: ReceiptLine['style']) => ReceiptLine;
type OptionalLine = (label: string, value: unknown) => ReceiptLine[];

const RESULT_WORDS = { pass: 'PASS', fail: 'FAIL', na: 'N/A' } as const;

function inspectionLines(fields: RecordFields, context: ReceiptContext, line: LineMaker, optional: OptionalLine): ReceiptLine[] {
  const answers = (fields.items ?? {}) as Record<string, { result: keyof typeof RESULT_WORDS; note?: string }>;
  const labelled = context.checklistItems.filter((item) => Object.hasOwn(answers, item.id));
  // An answer to an item the printing device's checklist did not list still prints, by its id.
  const unlisted = Object.keys(answers)
    .filter((id) => !context.checklistItems.some((item) => item.id === id))
    .sort()
    .map((id) => ({ id, label: id }));
  const answered = [...labelled, ...unlisted];
  const failedItems = answered.filter((item) => answers[item.id]!.result === 'fail');
  const written = stringList(fields.defects);
  const label = (field: string) => fieldPresentation('inspection', field).label;
  return [
    line(`${label('equipmentNumber')}: ${String(fields.equipmentNumber)}`),
    ...optional(label('odometer'), fields.odometer),
    ...optional(label('templateId'), context.checklistTitle ?? fields.templateId),
    ...optional(label('workOrderId'), fields.workOrderId),
    ...optional(label('correctsId'), fields.correctsId),
    line('Checklist answers', 'heading'),
    ...answered.map((item) => {
      const answer = answers[item.id]!;
      const note = answer.note?.trim();
      return line(`[${RESULT_WORDS[answer.result]}] ${item.label}${note ? ` - ${note}` : ''}`);
    }),
    line('Defects', 'heading'),
    ...(failedItems.length + written.length === 0
      ? [line('No defects reported.')]
      : [...failedItems.map((item) => line(`${item.label}${answers[item.id]!.note?.trim() ? `: ${answers[item.id]!.note!.trim()}` : ''}`)), ...written.map((defect) => line(defect))]),
    ...optional(label('remarks'), fields.remarks),
    ...optional(label('photos'), stringList(fields.photos).length || null),
    line('Signature', 'heading'),
    line(`${label('signature')}: image ${String(fields.signature)}`),
  ];
}

function interchangeLines(fields: RecordFields, context: ReceiptContext, line: LineMaker, optional: OptionalLine): ReceiptLine[] {
  const damages = stringList(fields.damages);
  const label = (field: string) => fieldPresentation('equipmentInterchange', field).label;
  const words = (field: string) => fieldWords('equipmentInterchange', field, fields[field]);
  return [
    line(`${label('equipmentNumber')}: ${words('equipmentType')} ${String(fields.equipmentNumber)}`),
    line(`${label('interchangedAt')}: ${localTime(fields.interchangedAt as number, context.utcOffsetMinutes)}`),
    ...optional(label('correctsId'), fields.correctsId),
    line('Parties', 'heading'),
    line(`${label('fromCarrier')}: ${String(fields.fromCarrier)}`),
    line(`${label('toCarrier')}: ${String(fields.toCarrier)}`),
    line(label('condition'), 'heading'),
    line(`${label('condition')}: ${words('condition')}`),
    ...optional(label('conditionNote'), fields.conditionNote),
    line(label('damages'), 'heading'),
    ...(damages.length === 0 ? [line('No damage marked.')] : damages.map((damage) => line(damage))),
    ...optional(label('photos'), stringList(fields.photos).length || null),
    line('Signatures', 'heading'),
    line(`${label('fromSignature')}: image ${String(fields.fromSignature)}`),
    line(`${label('toSignature')}: image ${String(fields.toSignature)}`),
  ];
}

/** The signature images a receipt prints, as the record names them. */
export function receiptSignatures(receipt: Pick<VerifiedReceipt, 'recordType' | 'fields'>): ReceiptSignature[] {
  const named = (field: string) => {
    const value = receipt.fields[field];
    return typeof value === 'string' ? [{ label: fieldPresentation(receipt.recordType, field).label, sha256: value }] : [];
  };
  return receipt.recordType === 'inspection' ? named('signature') : [...named('fromSignature'), ...named('toSignature')];
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((member): member is string => typeof member === 'string').sort() : [];
}

/** `2026-11-22 09:30 (UTC+01:00)`: the yard's time, with the offset so a reader elsewhere can place it. */
export function localTime(epochMs: number, utcOffsetMinutes: number): string {
  const shifted = new Date(epochMs + utcOffsetMinutes * 60_000).toISOString();
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const offset = Math.abs(utcOffsetMinutes);
  const hours = String(Math.floor(offset / 60)).padStart(2, '0');
  const minutes = String(offset % 60).padStart(2, '0');
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)} (UTC${sign}${hours}:${minutes})`;
}

const TYPOGRAPHY: Readonly<Record<string, string>> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2044': '/',
  '\u2026': '...',
  '\u00a0': ' ',
};

/**
 * Text as a standard PDF font draws it without embedding one: accents dropped, typographic quotes
 * and dashes made plain, anything else outside printable ASCII shown as `?`. Line breaks become spaces.
 */
export function printable(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019\u201c\u201d\u2013\u2014\u2044\u2026\u00a0]/g, (character) => TYPOGRAPHY[character]!)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?');
}

const QR_PREFIX = 'WAYPOST-RECEIPT:';

/**
 * What the QR code carries: the submit entry with its session certificate and the device key,
 * enough for anyone holding only the paper to check who submitted which record when, and on
 * which device (verifyReceiptQr). What the record held needs the entries attached to the PDF.
 */
export const receiptSealSchema = z.strictObject({
  v: z.literal(RECEIPT_FORMAT_VERSION),
  k: hex32,
  c: signedCertificateSchema,
  e: journalEntrySchema,
});

export function receiptQrText(payload: ReceiptPayload): string {
  const submit = payload.entries.at(-1)!;
  const certificate = payload.sessions.find((signed) => signed.certificate.sessionId === submit.body.sessionId);
  return `${QR_PREFIX}${canonicalize({ v: RECEIPT_FORMAT_VERSION, k: payload.devicePublicKey, c: certificate, e: submit })}`;
}

/** What a QR code alone proves: who submitted which record, on which device, when. */
export type ReceiptSeal = Pick<VerifiedReceipt, 'recordType' | 'recordId' | 'deviceId' | 'devicePublicKey' | 'operatorId' | 'seq' | 'hash' | 'submittedAt'>;
export type SealVerdict = { ok: true; seal: ReceiptSeal } | { ok: false; failure: ReceiptFailure };

/** Checks a scanned QR code's text by the same rule as an entry of a receipt's payload. */
export function verifyReceiptQr(scanned: string, options: Pick<ReceiptCheckOptions, 'devicePublicKey'> = {}): SealVerdict {
  if (!scanned.startsWith(QR_PREFIX)) return { ok: false, failure: { code: 'payload-missing', message: 'the text is not a Waypost receipt code' } };
  let json: unknown;
  try {
    json = JSON.parse(scanned.slice(QR_PREFIX.length));
  } catch {
    return { ok: false, failure: { code: 'payload-malformed', message: 'the receipt code is not JSON' } };
  }
  const parsed = receiptSealSchema.safeParse(json);
  if (!parsed.success) return { ok: false, failure: { code: 'payload-malformed', message: `the receipt code is malformed: ${parsed.error.issues[0]?.path.join('.') || 'code'}: ${parsed.error.issues[0]?.message ?? 'invalid'}` } };
  const { k, c, e } = parsed.data;
  if (options.devicePublicKey !== undefined && options.devicePublicKey.toLowerCase() !== k) {
    return { ok: false, failure: { code: 'device-key-mismatch', message: `the code names device key ${k}, not the key ${options.devicePublicKey} given for the device` } };
  }
  const devicePublicKey = hexToBytes(k);
  const keyProblem = publicKeyProblem(devicePublicKey);
  if (keyProblem) return { ok: false, failure: { code: 'weak-device-key', message: `the device key is refused: it ${keyProblem}` } };
  const { body } = e;
  if (body.kind !== 'record' || body.action !== 'submit' || !(RECEIPT_RECORD_TYPES as readonly string[]).includes(body.recordType)) {
    return { ok: false, failure: { code: 'wrong-record', seq: body.seq, message: `entry ${body.seq} is not the submit of an inspection or interchange` } };
  }
  const failure = checkSignedEntry(e, c, { deviceId: body.deviceId, devicePublicKey });
  if (failure) return { ok: false, failure };
  return {
    ok: true,
    seal: {
      recordType: body.recordType as ReceiptRecordType,
      recordId: body.recordId,
      deviceId: body.deviceId,
      devicePublicKey: k,
      operatorId: body.operatorId,
      seq: body.seq,
      hash: e.hash,
      submittedAt: body.deviceTime,
    },
  };
}

/** The payload's entries of one record, create to submit, from a device's history of it (which may hold more after). */
export function entriesThroughSubmit(history: readonly JournalEntry[]): JournalEntry[] | null {
  const submitAt = history.findIndex((entry) => entry.body.kind === 'record' && entry.body.action === 'submit');
  return submitAt === -1 ? null : history.slice(0, submitAt + 1);
}
