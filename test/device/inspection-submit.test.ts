import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INSPECTOR, openTestDevice, type TestDevice } from '../support/device.js';
import { expectRefusedWithoutWriting } from '../support/core-assertions.js';
import { VALID_CREATES } from '../support/actions.js';
import { INSPECTION_TEMPLATE, signaturePng } from '../support/inspection.js';

/** Submitting an inspection started from a work order completes the order in the same transaction. */
describe('an inspection submitted from its work order', () => {
  let device: TestDevice;
  beforeEach(() => {
    device = openTestDevice();
    device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  });
  afterEach(() => device.core.close());

  function workOrder(status = 'open'): string {
    const ops = VALID_CREATES.workOrder.map((op) => (op.op === 'set' && op.field === 'status' ? { ...op, value: status } : op));
    return device.core.perform({ recordType: 'workOrder', action: 'create', ops: [...ops, { op: 'set', field: 'equipmentNumber', value: 'TRK-104' }] }).record.id;
  }

  /** A complete inspection of TRK-104 (brakes failed), signed, not yet submitted. */
  function inspection(workOrderId: string | null, answered = INSPECTION_TEMPLATE.items.length): string {
    const { core } = device;
    const id = core.perform({
      recordType: 'inspection',
      action: 'create',
      ops: [
        { op: 'set', field: 'templateId', value: INSPECTION_TEMPLATE.id },
        { op: 'set', field: 'equipmentNumber', value: 'TRK-104' },
        ...(workOrderId ? [{ op: 'set' as const, field: 'workOrderId', value: workOrderId }] : []),
      ],
    }).record.id;
    for (const item of INSPECTION_TEMPLATE.items.slice(0, answered)) {
      const value = item.id === 'service-brakes' ? { result: 'fail', note: 'Chamber leaks down' } : { result: 'pass' };
      core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'set', field: 'items', key: item.id, value }] });
    }
    const { sha256 } = core.putAttachment('image/png', signaturePng('inspection-submit'));
    core.perform({ recordType: 'inspection', recordId: id, action: 'update', ops: [{ op: 'set', field: 'signature', value: sha256 }] });
    return id;
  }

  it('submits the inspection and marks the order done with what it found: two signed entries, one transaction', async () => {
    const order = workOrder('in-progress');
    const id = inspection(order);
    const before = device.core.status().journal.lastSeq;
    const submittedAt = device.clock.now();
    const [submitted, completed] = device.core.submitInspection(id, submittedAt);
    expect([submitted?.seq, completed?.seq]).toEqual([before + 1, before + 2]);
    expect(device.core.getRecord('inspection', id)?.fields).toMatchObject({ status: 'submitted', submittedAt });
    expect(device.core.getRecord('workOrder', order)?.fields).toMatchObject({
      status: 'done',
      completedAt: submittedAt,
      completionNote: 'Inspection of TRK-104 submitted, 1 defect: Service brakes including trailer brake connections.',
    });
    expect(device.core.verifyJournal()).toMatchObject({ ok: true });
    // Both entries wait in the outbox with every other (nothing was sent yet).
    expect(device.core.status().outbox.pending).toBe(device.core.status().journal.lastSeq);
  });

  it('touches no work order when there is none, or it is already done or cancelled', () => {
    expect(device.core.submitInspection(inspection(null), device.clock.now())).toHaveLength(1);
    const done = workOrder('done');
    expect(device.core.submitInspection(inspection(done), device.clock.now())).toHaveLength(1);
    expect(device.core.getRecord('workOrder', done)?.fields.completedAt ?? null).toBeNull();
  });

  it('keeps the order as it was when the inspection cannot be submitted, and writes nothing', () => {
    const order = workOrder();
    const id = inspection(order, 5);
    expectRefusedWithoutWriting(device.core, () => device.core.submitInspection(id, device.clock.now()), 'incomplete', /6 of 11 checklist items are not answered/);
    expect(device.core.getRecord('workOrder', order)?.fields.status).toBe('open');
    expectRefusedWithoutWriting(device.core, () => device.core.submitInspection('inspection-none', device.clock.now()), 'unknown-record', /no such inspection/);
  });
});
