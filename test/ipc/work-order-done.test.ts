import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHandler, type IpcHandler } from '../../main/ipc/handlers.js';
import type { IpcResult } from '../../main/ipc/contract.js';
import { storeFootprint } from '../support/core-assertions.js';
import { VALID_CREATES } from '../support/actions.js';
import { INSPECTOR, openTestDevice, type TestDevice } from '../support/device.js';
import { INSPECTION_TEMPLATE, signaturePng } from '../support/inspection.js';

/**
 * workOrders.doneCautions: what the renderer asks before "Mark done", so that an order whose unit
 * is still being inspected, or whose inspection found defects nobody has repaired, is confirmed first.
 */
const BRAKES = 'Service brakes including trailer brake connections';
const LIGHTS = 'Lighting devices and reflectors';

describe('workOrders.doneCautions', () => {
  let device: TestDevice;
  let handle: IpcHandler;

  beforeEach(() => {
    device = openTestDevice();
    handle = createIpcHandler(device.core, { unenrolledSiteId: 'site-oak' });
    device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  });
  afterEach(() => device.core.close());

  async function cautions(recordId: string): Promise<unknown> {
    const result: IpcResult = await handle('workOrders.doneCautions', { recordId });
    if (!result.ok) throw new Error(`refused: ${result.error.code} ${result.error.message}`);
    return result.value;
  }

  function workOrder(): string {
    return device.core.perform({ recordType: 'workOrder', action: 'create', ops: [...VALID_CREATES.workOrder, { op: 'set', field: 'equipmentNumber', value: 'TRK-104' }] }).record.id;
  }

  /** An inspection of TRK-104 from `workOrderId` with the items in `failed` failed, signed; submitted unless `draft`. */
  function inspection(workOrderId: string, failed: string[], draft = false): string {
    const { core } = device;
    const id = core.perform({
      recordType: 'inspection',
      action: 'create',
      ops: [
        { op: 'set', field: 'templateId', value: INSPECTION_TEMPLATE.id },
        { op: 'set', field: 'equipmentNumber', value: 'TRK-104' },
        { op: 'set', field: 'workOrderId', value: workOrderId },
      ],
    }).record.id;
    for (const item of INSPECTION_TEMPLATE.items) {
      const value = failed.includes(item.id) ? { result: 'fail', note: 'Found at the yard check' } : { result: 'pass' };
      core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'set', field: 'items', key: item.id, value }] });
    }
    const { sha256 } = core.putAttachment('image/png', signaturePng(`done-cautions-${id}`));
    core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'set', field: 'signature', value: sha256 }] });
    if (!draft) core.submitInspection(id, device.clock.now());
    return id;
  }

  /** A mechanic's certification of `inspectionId`, as the office sends it down: item id → disposition. */
  function certify(inspectionId: string, repairs: Record<string, 'repaired' | 'deferred' | 'no-repair-needed'>): void {
    const ops = VALID_CREATES.repairCertification.map((op) =>
      op.op !== 'set'
        ? op
        : op.field === 'inspectionId'
          ? { ...op, value: inspectionId }
          : op.field === 'repairs'
            ? { ...op, value: Object.entries(repairs).map(([item, disposition]) => ({ defect: `item:${item}`, label: item, disposition, ...(disposition === 'deferred' ? { reason: 'Parts on order' } : {}) })) }
            : op,
    );
    device.core.perform({ recordType: 'repairCertification', action: 'create', ops });
  }

  it('has nothing to say of an order without inspections, or whose inspection found nothing', async () => {
    const order = workOrder();
    expect(await cautions(order)).toEqual([]);
    inspection(order, []);
    expect(await cautions(order)).toEqual([]);
    expect(await cautions('wo-nobody-knows')).toEqual([]);
  });

  it("names an inspection of the order that is still in progress, not another order's", async () => {
    const order = workOrder();
    const other = workOrder();
    const draft = inspection(order, ['service-brakes'], true);
    inspection(other, [], true);
    expect(await cautions(order)).toEqual([{ kind: 'inspection-in-progress', inspectionId: draft, equipmentNumber: 'TRK-104' }]);
  });

  it('names the defects a submitted inspection found until a mechanic certifies them repaired or needing no repair; a deferral leaves one open', async () => {
    const order = workOrder();
    const found = inspection(order, ['service-brakes', 'lighting']);
    expect(await cautions(order)).toEqual([{ kind: 'unresolved-defects', inspectionId: found, equipmentNumber: 'TRK-104', defects: [BRAKES, LIGHTS] }]);

    certify(found, { 'service-brakes': 'repaired', lighting: 'deferred' });
    expect(await cautions(order)).toEqual([{ kind: 'unresolved-defects', inspectionId: found, equipmentNumber: 'TRK-104', defects: [LIGHTS] }]);
    // A certification of another inspection settles nothing here.
    certify(inspection(workOrder(), ['lighting']), { lighting: 'no-repair-needed' });
    expect(await cautions(order)).toHaveLength(1);

    certify(found, { lighting: 'no-repair-needed' });
    expect(await cautions(order)).toEqual([]);
  });

  it('answers only a signed-in operator, checks the id, and writes nothing', async () => {
    const order = workOrder();
    inspection(order, [], true);
    const before = storeFootprint(device.core);
    expect(await handle('workOrders.doneCautions', { recordId: '' })).toEqual({ ok: false, error: expect.objectContaining({ code: 'invalid-input', field: 'recordId' }) });
    expect(await handle('workOrders.doneCautions', { recordId: order, extra: 1 })).toEqual({ ok: false, error: expect.objectContaining({ code: 'invalid-input' }) });
    expect(storeFootprint(device.core)).toEqual(before);
    device.core.signOut();
    expect(await handle('workOrders.doneCautions', { recordId: order })).toEqual({ ok: false, error: expect.objectContaining({ code: 'not-signed-in', message: expect.stringMatching(/sign in/) }) });
  });
});
