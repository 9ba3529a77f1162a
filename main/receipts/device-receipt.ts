import type { ChecklistTemplate } from '../../protocol/checklists.js';
import { bytesToHex } from '../../protocol/crypto/hash.js';
import type { SignedCertificate } from '../../protocol/journal.js';
import { RECEIPT_FORMAT_VERSION, entriesThroughSubmit, type ReceiptPayload, type ReceiptRecordType } from '../../protocol/receipts.js';
import type { DeviceCore } from '../core/device-core.js';
import { CoreError } from '../core/errors.js';
import { type ReceiptImage, receiptFileName, renderReceiptPdf } from './receipt-pdf.js';

export interface ReceiptOptions {
  /** Checklists the device knows, for the labels the page prints. */
  templates: readonly ChecklistTemplate[];
  /** The site the device is at, as the page names it. */
  site: string | null;
  /** The device's offset from UTC at a time, in minutes east (the page prints the yard's local time). */
  utcOffsetMinutes?: (epochMs: number) => number;
}

const RECORD_WORDS: Readonly<Record<ReceiptRecordType, string>> = { inspection: 'inspection', equipmentInterchange: 'equipment interchange' };

/** The signed receipt of a submitted inspection or interchange recorded on this device: its PDF and a file name for it. */
export async function deviceReceipt(core: DeviceCore, recordType: ReceiptRecordType, recordId: string, options: ReceiptOptions): Promise<{ fileName: string; pdf: Uint8Array }> {
  const payload = receiptPayload(core, recordType, recordId, options);
  const images = new Map<string, ReceiptImage>();
  const record = core.getRecord(recordType, recordId)!;
  for (const field of ['signature', 'fromSignature', 'toSignature']) {
    const sha256 = record.fields[field];
    if (typeof sha256 !== 'string') continue;
    try {
      images.set(sha256, core.readAttachment(sha256));
    } catch (error) {
      // A signature the device no longer holds prints as its box and hash: the hash is what is signed.
      if (!(error instanceof CoreError)) throw error;
    }
  }
  return { fileName: receiptFileName(payload, record.fields), pdf: await renderReceiptPdf(payload, images) };
}

export function receiptPayload(core: DeviceCore, recordType: ReceiptRecordType, recordId: string, options: ReceiptOptions): ReceiptPayload {
  const word = RECORD_WORDS[recordType];
  const record = core.getRecord(recordType, recordId);
  if (!record) throw new CoreError('receipt-unavailable', `this device does not hold ${word} ${recordId}`);
  if (record.fields.status !== 'submitted') throw new CoreError('receipt-unavailable', `the ${word} is not submitted yet: a signed receipt is printed once it is submitted`);

  const entries = entriesThroughSubmit(core.recordHistory(recordType, recordId));
  const first = entries?.[0]?.body;
  if (!entries || first?.kind !== 'record' || first.action !== 'create') {
    throw new CoreError('receipt-unavailable', `this device no longer holds the signed entries of the whole ${word} (they were recorded on another device or folded after syncing); the office holds them`);
  }
  const sessions: SignedCertificate[] = [];
  for (const sessionId of new Set(entries.map((entry) => entry.body.sessionId))) {
    const certificate = core.sessionCertificate(sessionId);
    if (!certificate) throw new CoreError('receipt-unavailable', `this device no longer holds the certificate of session ${sessionId}, which signed part of the ${word}; the office holds it`);
    sessions.push(certificate);
  }

  const submittedAt = entries.at(-1)!.body.deviceTime;
  const submitter = core.operator(entries.at(-1)!.body.operatorId);
  const template = recordType === 'inspection' ? options.templates.find((candidate) => candidate.id === record.fields.templateId) : undefined;
  return {
    v: RECEIPT_FORMAT_VERSION,
    recordType,
    recordId,
    deviceId: core.deviceId,
    devicePublicKey: bytesToHex(core.devicePublicKey),
    sessions,
    entries,
    context: {
      operatorName: submitter?.displayName ?? null,
      site: options.site,
      utcOffsetMinutes: (options.utcOffsetMinutes ?? systemUtcOffset)(submittedAt),
      checklistTitle: template?.title ?? null,
      checklistItems: template?.items.map(({ id, label }) => ({ id, label })) ?? [],
    },
  };
}

function systemUtcOffset(epochMs: number): number {
  // getTimezoneOffset is minutes west of UTC.
  return -new Date(epochMs).getTimezoneOffset();
}
