import { describe, expect, it } from 'vitest';
import type { IpcResult, ReceiptPdfView } from '../../main/ipc/contract.js';
import { verifyReceiptPdf } from '../../main/receipts/receipt-pdf.js';
import { INSPECTOR } from '../support/device.js';
import { useIpcTestDevice } from '../support/ipc-device.js';
import { inspectionCreate, performInspection } from '../support/inspection.js';

/** receipts.pdf: the signed receipt of a submitted record, refused plainly for anything else. */
const ipc = useIpcTestDevice();

async function refusal(result: Promise<IpcResult>): Promise<{ code: string; message: string }> {
  const settled = await result;
  if (settled.ok) throw new Error('expected a refusal');
  return settled.error;
}

describe('receipts.pdf', () => {
  it('refuses an inspection that is not submitted, saying so, and writes nothing', async () => {
    ipc.device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const draft = ipc.device.core.perform(inspectionCreate(1)).record.id;
    const entries = ipc.device.core.status().journal.entries;
    expect(await refusal(ipc.handle('receipts.pdf', { recordType: 'inspection', recordId: draft }))).toEqual({
      code: 'receipt-unavailable',
      message: 'the inspection is not submitted yet: a signed receipt is printed once it is submitted',
    });
    expect(await refusal(ipc.handle('receipts.pdf', { recordType: 'equipmentInterchange', recordId: 'eir-none' }))).toEqual({
      code: 'receipt-unavailable',
      message: 'this device does not hold equipment interchange eir-none',
    });
    expect(await refusal(ipc.handle('receipts.pdf', { recordType: 'gateEvent', recordId: draft }))).toMatchObject({ code: 'invalid-input', message: expect.stringContaining('a receipt is printed of an inspection or an equipment interchange') as unknown as string });
    expect(ipc.device.core.status().journal.entries).toBe(entries);
  });

  it('answers a submitted inspection with a PDF that verifies, to a signed-in operator only', async () => {
    ipc.device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    performInspection(ipc.device.core, 2, { signatureSeed: 'ipc', now: () => ipc.device.clock.now() });
    const recordId = ipc.device.core.listRecords('inspection')[0]!.id;
    const settled = await ipc.handle('receipts.pdf', { recordType: 'inspection', recordId });
    if (!settled.ok) throw new Error(settled.error.message);
    const { fileName, pdfBase64 } = settled.value as ReceiptPdfView;
    expect(fileName).toMatch(/^DVIR TRK-1002 \d{4}-\d{2}-\d{2}\.pdf$/);
    expect(await verifyReceiptPdf(Buffer.from(pdfBase64, 'base64'))).toMatchObject({ ok: true, receipt: { recordId, operatorId: INSPECTOR.operatorId } });

    ipc.device.core.signOut();
    expect(await refusal(ipc.handle('receipts.pdf', { recordType: 'inspection', recordId }))).toMatchObject({ code: 'not-signed-in', message: 'sign in to print receipts' });
  });
});
