import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PDFDocument, PDFName, StandardFonts } from 'pdf-lib';
import { SEED_CHECKLIST_TEMPLATES } from '../../protocol/checklists.js';
import { canonicalize } from '../../protocol/canonical.js';
import { hashEntryBody, type RecordEntryBody } from '../../protocol/journal.js';
import QRCode from 'qrcode';
import { RECEIPT_ATTACHMENT_NAME, type ReceiptPayload, receiptQrText, verifyReceipt } from '../../protocol/receipts.js';
import { VALID_CREATES } from '../support/actions.js';
import { deviceReceipt, receiptPayload } from '../../main/receipts/device-receipt.js';
import { readReceiptPdf, verifyReceiptPdf } from '../../main/receipts/receipt-pdf.js';
import { runVerifyReceipt } from '../../scripts/verify-receipt.js';
import { INSPECTOR, openTestDevice, tempDir, type TestDevice } from '../support/device.js';
import { INSPECTION_TEMPLATE, performInspection, signaturePng } from '../support/inspection.js';

/**
 * A submitted inspection printed as a signed receipt by a real device core, and checked the way
 * `npm run verify-receipt` checks it: from the PDF's bytes alone. A receipt whose attached entries
 * or page were changed afterwards is refused, saying what does not hold.
 */
let device: TestDevice;
const options = { templates: SEED_CHECKLIST_TEMPLATES, site: 'site-oak', utcOffsetMinutes: () => -300 };

beforeEach(() => {
  device = openTestDevice();
  device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
});

afterEach(() => {
  device.core.close();
});

function submittedInspection(): string {
  performInspection(device.core, 0, { signatureSeed: 'receipt', now: () => device.clock.now() });
  const [inspection] = device.core.listRecords('inspection');
  expect(inspection?.fields.status).toBe('submitted');
  return inspection!.id;
}

async function runCli(pdf: Uint8Array, ...args: string[]): Promise<{ code: number; output: string }> {
  const file = join(tempDir(), 'receipt.pdf');
  writeFileSync(file, pdf);
  const lines: string[] = [];
  const code = await runVerifyReceipt([file, ...args], (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

/** The same PDF, its page untouched, with another payload attached in place of the signed one. */
async function withPayload(pdf: Uint8Array, payload: unknown): Promise<Uint8Array> {
  const document = await PDFDocument.load(pdf);
  document.catalog.delete(PDFName.of('Names'));
  await document.attach(new TextEncoder().encode(canonicalize(payload)), RECEIPT_ATTACHMENT_NAME, { mimeType: 'application/json' });
  return document.save();
}

function answerEntry(payload: ReceiptPayload, itemId: string): RecordEntryBody {
  const entry = payload.entries.findLast((candidate) => candidate.body.kind === 'record' && candidate.body.ops.some((op) => op.op === 'set' && op.key === itemId));
  return entry!.body as RecordEntryBody;
}

describe('signed receipts of inspections', () => {
  it('prints every answer by its label and verifies from the PDF alone', async () => {
    const recordId = submittedInspection();
    const { fileName, pdf } = await deviceReceipt(device.core, 'inspection', recordId, options);
    expect(fileName).toMatch(/^DVIR TRK-1000 2026-11-22\.pdf$/);

    const { printed, payload } = await readReceiptPdf(pdf);
    const page = printed.join(' ');
    expect(page).toContain('Driver Vehicle Inspection Report');
    for (const item of INSPECTION_TEMPLATE.items) expect(page).toContain(item.label);
    expect(page).toContain('[FAIL] Service brakes including trailer brake connections - Right rear chamber leaks down');
    expect(page).toContain('Operator: Ines Inspector (op-ines)');
    expect(page).toContain('Submitted: 2026-11-22 03:');
    expect((payload as ReceiptPayload).entries.at(-1)!.body).toMatchObject({ kind: 'record', action: 'submit', recordId });

    const verdict = await verifyReceiptPdf(pdf);
    expect(verdict).toMatchObject({ ok: true, receipt: { recordId, operatorId: INSPECTOR.operatorId, deviceId: device.core.deviceId } });
    const cli = await runCli(pdf);
    expect(cli.code).toBe(0);
    expect(cli.output).toMatch(new RegExp(`^valid: signed by Ines Inspector \\(operator op-ines\\) on device ${device.core.deviceId}, entry \\d+, 2026-11-22`));
  });

  it('refuses a receipt whose attached answer was changed, whether or not its hash was made again', async () => {
    const recordId = submittedInspection();
    const { pdf } = await deviceReceipt(device.core, 'inspection', recordId, options);
    const payload = receiptPayload(device.core, 'inspection', recordId, options);

    const edited = structuredClone(payload);
    const body = answerEntry(edited, 'service-brakes');
    body.ops = [{ op: 'set', field: 'items', key: 'service-brakes', value: { result: 'pass' } }];
    const stale = await runCli(await withPayload(pdf, edited));
    expect(stale.code).toBe(1);
    expect(stale.output).toMatch(new RegExp(`^invalid: hash-mismatch: entry ${body.seq}: entry content does not match its hash`));

    const rehashed = structuredClone(edited);
    const entry = rehashed.entries.find((candidate) => candidate.body.seq === body.seq)!;
    entry.hash = hashEntryBody(entry.body);
    const resigned = await runCli(await withPayload(pdf, rehashed));
    expect(resigned.code).toBe(1);
    expect(resigned.output).toMatch(new RegExp(`^invalid: bad-signature: entry ${body.seq}: signature does not verify under the key of session`));
  });

  it('refuses a page changed after signing, a PDF without the payload, and a device key other than the one pinned', async () => {
    const recordId = submittedInspection();
    const { pdf } = await deviceReceipt(device.core, 'inspection', recordId, options);

    const document = await PDFDocument.load(pdf);
    const font = await document.embedFont(StandardFonts.Helvetica);
    document.getPage(0).drawText('[PASS] Service brakes (repaired)', { x: 50, y: 60, size: 10, font });
    const painted = await runCli(await document.save());
    expect(painted.code).toBe(1);
    expect(painted.output).toMatch(/^invalid: printed-mismatch: the printed text differs from the signed record/);

    const bare = await PDFDocument.load(pdf);
    bare.catalog.delete(PDFName.of('Names'));
    const missing = await runCli(await bare.save());
    expect(missing).toEqual({ code: 1, output: expect.stringMatching(/^invalid: payload-missing: the PDF has no waypost-receipt.json attached/) as unknown as string });

    const pinned = await runCli(pdf, '--device-key', 'ab'.repeat(32));
    expect(pinned.code).toBe(1);
    expect(pinned.output).toMatch(/^invalid: device-key-mismatch/);
    expect((await runCli(pdf, '--device-key', Buffer.from(device.core.devicePublicKey).toString('hex'))).code).toBe(0);
  });

  it('refuses a page whose QR code is not the one of the attached entries, and checks a scanned code alone', async () => {
    const recordId = submittedInspection();
    const { pdf } = await deviceReceipt(device.core, 'inspection', recordId, options);
    const payload = receiptPayload(device.core, 'inspection', recordId, options);
    const scanned = receiptQrText(payload);
    // A phone scans it at the size printed: at most version 30 (137 modules on 2.5 in).
    expect(QRCode.create(scanned, { errorCorrectionLevel: 'M' }).version).toBeLessThanOrEqual(30);

    const document = await PDFDocument.load(pdf);
    const page = document.getPage(0);
    const { firstPage } = await readReceiptPdf(pdf);
    const firstRun = /^.* re$/m.exec(firstPage)![0];
    const moved = firstPage.replace(firstRun, firstRun.replace(/^(\S+)/, (x) => String(Number(x) + 1)));
    page.node.set(PDFName.of('Contents'), document.context.register(document.context.flateStream(moved)));
    const swapped = await runCli(await document.save());
    expect(swapped.code).toBe(1);
    expect(swapped.output).toBe('invalid: qr-mismatch: the QR code printed on the page is not the one of the signed entries attached');

    const lines: string[] = [];
    expect(await runVerifyReceipt(['--qr', scanned], (line) => lines.push(line))).toBe(0);
    expect(lines.join('\n')).toMatch(new RegExp(`^valid: submit of Driver Vehicle Inspection Report ${recordId} signed by operator op-ines on device ${device.core.deviceId}`));
  });

  it('prints an equipment interchange with its parties, condition, damage marks and both signatures', async () => {
    const from = device.core.putAttachment('image/png', signaturePng('from')).sha256;
    const to = device.core.putAttachment('image/png', signaturePng('to')).sha256;
    const recordId = device.core.perform({ recordType: 'equipmentInterchange', action: 'create', ops: VALID_CREATES.equipmentInterchange }).record.id;
    device.core.perform({
      recordType: 'equipmentInterchange',
      recordId,
      action: 'update',
      ops: [
        { op: 'set', field: 'condition', value: 'damaged' },
        { op: 'add', field: 'damages', member: 'right door seal torn' },
        { op: 'set', field: 'fromSignature', value: from },
        { op: 'set', field: 'toSignature', value: to },
      ],
    });
    device.core.perform({ recordType: 'equipmentInterchange', recordId, action: 'submit', ops: [] });

    const { fileName, pdf } = await deviceReceipt(device.core, 'equipmentInterchange', recordId, options);
    expect(fileName).toBe('EIR DCLZ-402211 2026-11-22.pdf');
    const page = (await readReceiptPdf(pdf)).printed.join(' ');
    for (const line of ['Equipment Interchange Receipt', 'Delivering party: Blue Line Drayage', 'Receiving party: Harbor Haulers', 'Condition: Damaged', 'left marker lamp broken', 'right door seal torn', `Delivering driver's signature: image ${from}`, `Receiving clerk's signature: image ${to}`]) {
      expect(page).toContain(line);
    }
    expect(await verifyReceiptPdf(pdf)).toMatchObject({ ok: true, receipt: { recordType: 'equipmentInterchange', recordId } });
  });

  it('will not print a receipt of an inspection that is not submitted', async () => {
    const created = device.core.perform({
      recordType: 'inspection',
      action: 'create',
      ops: [
        { op: 'set', field: 'templateId', value: INSPECTION_TEMPLATE.id },
        { op: 'set', field: 'equipmentNumber', value: 'TRK-2001' },
      ],
    });
    await expect(deviceReceipt(device.core, 'inspection', created.record.id, options)).rejects.toMatchObject({ code: 'receipt-unavailable', message: expect.stringContaining('not submitted') as unknown as string });
    expect(verifyReceipt(undefined)).toMatchObject({ ok: false, failure: { code: 'payload-missing' } });
  });
});
