import { describe, expect, it } from 'vitest';
import { bytesToHex } from './crypto/hash.js';
import { hashEntryBody, type RecordEntryBody, signCertificate } from './journal.js';
import {
  RECEIPT_FORMAT_VERSION,
  type ReceiptFailureCode,
  type ReceiptPayload,
  type ReceiptVerdict,
  type SealVerdict,
  printable,
  receiptLines,
  receiptQrText,
  verifyReceipt,
  verifyReceiptQr,
} from './receipts.js';
import { TestChain } from '../test/support/chain-fixtures.js';

/**
 * The pure rule for a signed receipt, on an equipment interchange journaled with the real signing
 * functions: a receipt holds only when every entry is the one its session signed, that session is
 * certified by the device whose key the receipt names, and the entries replay into the printed record.
 */
const FROM_SIGNATURE = 'a'.repeat(64);
const TO_SIGNATURE = 'b'.repeat(64);

function interchangeReceipt(chain = new TestChain('dev-gate-1')): { payload: ReceiptPayload; chain: TestChain } {
  chain.openSession('op-gus');
  const recordId = 'eir-1';
  const record = (action: 'create' | 'update' | 'submit', ops: RecordEntryBody['ops']) =>
    chain.append({ kind: 'record', recordType: 'equipmentInterchange', recordId, action, baseVersion: null, ops });
  const entries = [
    record('create', [
      { op: 'set', field: 'equipmentType', value: 'chassis' },
      { op: 'set', field: 'equipmentNumber', value: 'DCLZ 402211' },
      { op: 'set', field: 'fromCarrier', value: 'Blue Line Drayage' },
      { op: 'set', field: 'toCarrier', value: 'Harbor Haulers' },
      { op: 'set', field: 'interchangedAt', value: Date.UTC(2026, 10, 22, 9) },
      { op: 'add', field: 'damages', member: 'left marker lamp broken' },
    ]),
    record('update', [
      { op: 'set', field: 'condition', value: 'fair' },
      { op: 'set', field: 'conditionNote', value: 'Scuffed “landing gear” — works' },
    ]),
    record('update', [
      { op: 'set', field: 'fromSignature', value: FROM_SIGNATURE },
      { op: 'set', field: 'toSignature', value: TO_SIGNATURE },
    ]),
    record('submit', []),
  ];
  const opening = chain.entries[0]!.body;
  if (opening.kind !== 'session.open') throw new Error('the chain opens with its session');
  return {
    chain,
    payload: {
      v: RECEIPT_FORMAT_VERSION,
      recordType: 'equipmentInterchange',
      recordId,
      deviceId: chain.deviceId,
      devicePublicKey: bytesToHex(chain.device.devicePublicKey),
      sessions: [opening.certificate],
      entries,
      context: { operatorName: 'Gus Gate', site: 'site-oak', utcOffsetMinutes: 60, checklistTitle: null, checklistItems: [] },
    },
  };
}

function expectRefused(verdict: ReceiptVerdict | SealVerdict, code: ReceiptFailureCode, message: RegExp): void {
  if (verdict.ok) throw new Error(`expected ${code}, but the receipt verified`);
  expect(verdict.failure.code).toBe(code);
  expect(verdict.failure.message).toMatch(message);
}

describe('verifyReceipt', () => {
  it('holds for the entries as signed, and says who submitted what, where and when', () => {
    const { payload } = interchangeReceipt();
    const verdict = verifyReceipt(payload);
    if (!verdict.ok) throw new Error(verdict.failure.message);
    expect(verdict.receipt).toMatchObject({
      recordType: 'equipmentInterchange',
      recordId: 'eir-1',
      deviceId: 'dev-gate-1',
      operatorId: 'op-gus',
      seq: 5,
      hash: payload.entries[3]!.hash,
      submittedAt: payload.entries[3]!.body.deviceTime,
      fields: { status: 'submitted', condition: 'fair', damages: ['left marker lamp broken'], fromSignature: FROM_SIGNATURE },
    });
    const page = receiptLines(verdict.receipt).map((line) => line.text);
    expect(page).toContain('Equipment Interchange Receipt');
    expect(page).toContain('Delivering party: Blue Line Drayage');
    expect(page).toContain('Condition note: Scuffed "landing gear" - works');
    expect(page).toContain('Handed over at: 2026-11-22 10:00 (UTC+01:00)');
    expect(verifyReceipt(payload, { printed: page }).ok).toBe(true);
  });

  it('refuses an entry whose body was changed after signing', () => {
    const { payload } = interchangeReceipt();
    const entry = payload.entries[1]!;
    if (entry.body.kind !== 'record') throw new Error('a record entry');
    entry.body.ops = [{ op: 'set', field: 'condition', value: 'good' }];
    expectRefused(verifyReceipt(payload), 'hash-mismatch', /^entry 3: entry content does not match its hash/);

    entry.hash = hashEntryBody(entry.body);
    expectRefused(verifyReceipt(payload), 'bad-signature', /^entry 3: signature does not verify under the key of session ses-1/);
  });

  it('refuses a signature changed for another one', () => {
    const { payload } = interchangeReceipt();
    payload.entries[3]!.signature = payload.entries[2]!.signature;
    expectRefused(verifyReceipt(payload), 'bad-signature', /^entry 5: signature does not verify/);
  });

  it('refuses a session certificate from another device, and a device key other than the one pinned', () => {
    const { payload } = interchangeReceipt();
    const other = new TestChain('dev-gate-2');
    const [genuine] = payload.sessions;
    const forged = signCertificate(genuine!.certificate, other.deviceSigner);
    expectRefused(verifyReceipt({ ...payload, sessions: [forged] }), 'bad-certificate', /not signed by the device identity key \(certificate not by device dev-gate-1\)/);
    // Naming the other device's key instead: its certificate does not hold either.
    expectRefused(verifyReceipt({ ...payload, devicePublicKey: bytesToHex(other.device.devicePublicKey) }), 'bad-certificate', /not signed by the device identity key/);
    expectRefused(verifyReceipt(payload, { devicePublicKey: bytesToHex(other.device.devicePublicKey) }), 'device-key-mismatch', /not the key/);
    expect(verifyReceipt(payload, { devicePublicKey: payload.devicePublicKey }).ok).toBe(true);
  });

  it('refuses entries that do not make the whole submitted record', () => {
    const { payload } = interchangeReceipt();
    expectRefused(verifyReceipt({ ...payload, entries: payload.entries.slice(1) }), 'incomplete-history', /not at the record's create/);
    expectRefused(verifyReceipt({ ...payload, entries: payload.entries.slice(0, 3) }), 'incomplete-history', /is not the submit/);
    // Without the signatures' entry the submit does not apply: both carriers must sign.
    expectRefused(verifyReceipt({ ...payload, entries: [...payload.entries.slice(0, 2), payload.entries[3]!] }), 'replay-failed', /both carriers must sign/);
    expectRefused(verifyReceipt({ ...payload, entries: [payload.entries[0]!, payload.entries[2]!, payload.entries[1]!, payload.entries[3]!] }), 'not-in-order', /entry 3 comes after entry 4/);
    expectRefused(verifyReceipt({ ...payload, recordId: 'eir-2' }), 'wrong-record', /not about equipmentInterchange eir-2/);
  });

  it('refuses a page that prints other than the signed record, and a payload missing or malformed', () => {
    const { payload } = interchangeReceipt();
    const verdict = verifyReceipt(payload);
    if (!verdict.ok) throw new Error(verdict.failure.message);
    const page = receiptLines(verdict.receipt).map((line) => line.text.replace('Condition: Fair', 'Condition: Good'));
    expectRefused(verifyReceipt(payload, { printed: page }), 'printed-mismatch', /the page reads ".*Condition: Good.*" where the record prints ".*Condition: Fair/);
    expectRefused(verifyReceipt(undefined), 'payload-missing', /no receipt payload/);
    expectRefused(verifyReceipt({ ...payload, v: 2 }), 'payload-malformed', /^the receipt payload is malformed: v:/);
  });

  it('checks the QR code alone: who submitted which record on which device, by the same rule', () => {
    const { payload } = interchangeReceipt();
    const scanned = receiptQrText(payload);
    expect(verifyReceiptQr(scanned)).toEqual({
      ok: true,
      seal: {
        recordType: 'equipmentInterchange',
        recordId: 'eir-1',
        deviceId: 'dev-gate-1',
        devicePublicKey: payload.devicePublicKey,
        operatorId: 'op-gus',
        seq: 5,
        hash: payload.entries[3]!.hash,
        submittedAt: payload.entries[3]!.body.deviceTime,
      },
    });
    expectRefused(verifyReceiptQr(scanned.replace('"seq":5', '"seq":6')), 'hash-mismatch', /^entry 6: entry content does not match its hash/);
    const other = new TestChain('dev-gate-2');
    const forged = { ...payload, sessions: [signCertificate(payload.sessions[0]!.certificate, other.deviceSigner)] };
    expectRefused(verifyReceiptQr(receiptQrText(forged)), 'bad-certificate', /not signed by the device identity key/);
    expectRefused(verifyReceiptQr(scanned, { devicePublicKey: bytesToHex(other.device.devicePublicKey) }), 'device-key-mismatch', /not the key/);
    const notSubmit = { ...payload, entries: payload.entries.slice(0, 3) };
    expectRefused(verifyReceiptQr(receiptQrText(notSubmit)), 'wrong-record', /is not the submit/);
    expectRefused(verifyReceiptQr('https://example.test/receipt'), 'payload-missing', /not a Waypost receipt code/);
  });

  it('prints only what a standard PDF font draws', () => {
    expect(printable('Café “Ünit” – 3½\tline\nnext 漢')).toBe('Cafe "Unit" - 31/2 line next ?');
  });
});
