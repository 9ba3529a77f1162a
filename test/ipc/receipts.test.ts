import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHandler, type IpcHandler } from '../../main/ipc/handlers.js';
import type { IpcResult, ReceiptPdfView } from '../../main/ipc/contract.js';
import { verifyReceiptPdf } from '../../main/receipts/receipt-pdf.js';
import { INSPECTOR, openTestDevice, type TestDevice } from '../support/device.js';
import { inspectionCreate, performInspection } from '../support/inspection.js';

/** receipts.pdf: the signed receipt of a submitted record, refused plainly for anything else. */
let device: TestDevice;
let handle: IpcHandler;

beforeEach(() => {
  device = openTestDevice();
  handle = createIpcHandler(device.core, { unenrolledSiteId: 'site-oak' });
});

afterEach(() => {
  device.core.close();
});

async function refusal(result: Promise<IpcResult>): Promise<{ code: string; message: string }> {
  const settled = await result;
  if (settled.ok) throw new Error('expected a refusal');
  return settled.error;
}

describe('receipts.pdf', () => {
  it('refuses an inspection that is not submitted, saying so, and writes nothing', async () => {
    device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const draft = device.core.perform(inspectionCreate(1)).record.id;
    const entries = device.core.status().journal.entries;
    expect(await refusal(handle('receipts.pdf', { recordType: 'inspection', recordId: draft }))).toEqual({
      code: 'receipt-unavailable',
      message: 'the inspection is not submitted yet: a signed receipt is printed once it is submitted',
    });
    expect(await refusal(handle('receipts.pdf', { recordType: 'equipmentInterchange', recordId: 'eir-none' }))).toEqual({
      code: 'receipt-unavailable',
      message: 'this device does not hold equipment interchange eir-none',
    });
    expect(await refusal(handle('receipts.pdf', { recordType: 'gateEvent', recordId: draft }))).toMatchObject({ code: 'invalid-input', message: expect.stringContaining('a receipt is printed of an inspection or an equipment interchange') as unknown as string });
    expect(device.core.status().journal.entries).toBe(entries);
  });

  it('answers a submitted inspection with a PDF that verifies, to a signed-in operator only', async () => {
    device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    performInspection(device.core, 2, { signatureSeed: 'ipc', now: () => device.clock.now() });
    const recordId = device.core.listRecords('inspection')[0]!.id;
    const settled = await handle('receipts.pdf', { recordType: 'inspection', recordId });
    if (!settled.ok) throw new Error(settled.error.message);
    const { fileName, pdfBase64 } = settled.value as ReceiptPdfView;
    expect(fileName).toMatch(/^DVIR TRK-1002 \d{4}-\d{2}-\d{2}\.pdf$/);
    expect(await verifyReceiptPdf(Buffer.from(pdfBase64, 'base64'))).toMatchObject({ ok: true, receipt: { recordId, operatorId: INSPECTOR.operatorId } });

    device.core.signOut();
    expect(await refusal(handle('receipts.pdf', { recordType: 'inspection', recordId }))).toMatchObject({ code: 'not-signed-in', message: 'sign in to print receipts' });
  });
});
