import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLERK, INSPECTOR } from '../support/device.js';
import { addSeal, billingLineCreate, gateEventCreate, remove, removeSeal, tally, update, yardCountCreate } from '../support/actions.js';
import { type FieldDevice, SyncWorld, syncAll } from './support/world.js';

/**
 * Every conflict policy, exercised by concurrent edits from two devices and the office against
 * the real server: what each device ends up showing, and what its conflict inbox says.
 */
let world: SyncWorld;
let cab: FieldDevice;
let kiosk: FieldDevice;
let kioskB: FieldDevice;

beforeAll(async () => {
  world = await SyncWorld.start();
  cab = await world.addDevice('cab-policies');
  kiosk = await world.addDevice('kiosk-policies');
  kioskB = await world.addDevice('kiosk-policies-b');
  cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
  kioskB.core.signIn(CLERK.badgeId, CLERK.pin);
});
afterAll(async () => world?.close());

function later(): void {
  world.clock.advance(30_000);
}

function inboxFor(device: FieldDevice, recordId: string) {
  return device.core.conflicts().filter((entry) => entry.recordId === recordId);
}

describe('conflict policies across devices', () => {
  it('lww: the later status note wins whatever order the devices sync in; the loser hears what was kept', async () => {
    const order = await world.office.createWorkOrder({ title: 'Reefer check', statusNote: 'new' });
    await syncAll(cab, kiosk);
    later();
    cab.core.perform(update('workOrder', order.id, { statusNote: 'brakes checked' }));
    later();
    kiosk.core.perform(update('workOrder', order.id, { statusNote: 'waiting for parts' }));

    // The later edit arrives first; the earlier one must not overwrite it.
    await syncAll(kiosk, cab);

    for (const device of [cab, kiosk]) {
      expect(device.core.getRecord('workOrder', order.id)).toMatchObject({ syncState: 'synced', fields: { statusNote: 'waiting for parts' } });
    }
    expect(await world.office.record('workOrder', order.id)).toMatchObject({ fields: { statusNote: 'waiting for parts' } });
    expect(inboxFor(kiosk, order.id)).toEqual([]);
    expect(inboxFor(cab, order.id)).toEqual([
      expect.objectContaining({
        outcome: 'merged',
        whatHappened: expect.stringMatching(/statusNote: superseded/),
        localValue: { action: 'update', ops: [{ op: 'set', field: 'statusNote', value: 'brakes checked' }] },
        serverKept: expect.objectContaining({ fields: { statusNote: 'waiting for parts' } }),
      }),
    ]);
    // Once the inspector has read it, it leaves the unseen list (and stays in the inbox).
    const [entry] = inboxFor(cab, order.id);
    expect(cab.core.markConflictSeen(entry!.id)).toBe(true);
    expect(cab.core.markConflictSeen(entry!.id)).toBe(false);
    expect(cab.core.conflicts({ unseenOnly: true }).map((conflict) => conflict.id)).not.toContain(entry!.id);
    expect(inboxFor(cab, order.id)[0]?.seenAt).toBe(world.clock.now());
  });

  it('owner: the office owns the assignee; a concurrent field reassignment is rejected, kept in the failed list, and a retry on the new state applies', async () => {
    const order = await world.office.createWorkOrder({ title: 'Chassis swap', assignee: null });
    await syncAll(cab);
    await world.office.updateWorkOrder(order.id, { assignee: INSPECTOR.operatorId });
    const stale = cab.core.perform(update('workOrder', order.id, { assignee: CLERK.operatorId }));

    await syncAll(cab, kiosk);

    expect(cab.core.getRecord('workOrder', order.id)?.fields.assignee).toBe(INSPECTOR.operatorId);
    expect(kiosk.core.getRecord('workOrder', order.id)?.fields.assignee).toBe(INSPECTOR.operatorId);
    expect(cab.core.failedEntries()).toEqual([expect.objectContaining({ seq: stale.seq, reason: 'policy-rejected', message: expect.stringMatching(/belongs to the office/) })]);
    expect(inboxFor(cab, order.id)).toEqual([
      expect.objectContaining({ outcome: 'rejected', serverKept: expect.objectContaining({ fields: { assignee: INSPECTOR.operatorId } }) }),
    ]);

    // The inspector saw the office's assignment and still reassigns: not concurrent any more.
    cab.core.retryFailed(stale.seq);
    await syncAll(cab, kiosk);
    expect(cab.core.failedEntries()).toEqual([]);
    expect(await world.office.record('workOrder', order.id)).toMatchObject({ fields: { assignee: CLERK.operatorId } });
    expect(kiosk.core.getRecord('workOrder', order.id)?.fields.assignee).toBe(CLERK.operatorId);
  });

  it('review: concurrent billing quantities keep both versions and mark the line pending review on every device', async () => {
    const order = await world.office.createWorkOrder({ title: 'Brake job' });
    await syncAll(cab);
    const line = cab.core.perform(billingLineCreate(order.id, 2)).record.id;
    await syncAll(cab, kiosk, kioskB);
    expect(kioskB.core.getRecord('billingLine', line)).toMatchObject({ pendingReview: false, fields: { quantity: 2 } });

    cab.core.perform(update('billingLine', line, { quantity: 3 }));
    kiosk.core.perform(update('billingLine', line, { quantity: 4 }));
    await syncAll(cab, kiosk, kioskB);

    for (const device of [cab, kiosk, kioskB]) {
      expect(device.core.getRecord('billingLine', line), device.name).toMatchObject({ pendingReview: true, syncState: 'synced', fields: { quantity: 3 } });
    }
    expect(await world.office.record('billingLine', line)).toMatchObject({ pendingReview: true, fields: { quantity: 3 } });
    expect(inboxFor(kiosk, line)).toEqual([
      expect.objectContaining({ outcome: 'conflict', whatHappened: expect.stringMatching(/reviewer/), serverKept: expect.objectContaining({ fields: { quantity: 3 } }) }),
    ]);
    expect(inboxFor(cab, line)).toEqual([]);
  });

  it('server: on-hand counts belong to the office; a device value is only an observation', async () => {
    const count = kiosk.core.perform(yardCountCreate('row-12')).record.id;
    await syncAll(kiosk, cab);
    kiosk.core.perform(update('yardCount', count, { onHand: 40 }));
    expect(kiosk.core.getRecord('yardCount', count)?.fields.onHand).toBe(40);

    await syncAll(kiosk, cab);

    expect(kiosk.core.getRecord('yardCount', count)).toMatchObject({ syncState: 'synced', fields: { onHand: null } });
    expect(cab.core.getRecord('yardCount', count)?.fields.onHand).toBeNull();
    expect(inboxFor(kiosk, count)).toEqual([
      expect.objectContaining({ outcome: 'merged', whatHappened: expect.stringMatching(/onHand: observed/), serverKept: expect.objectContaining({ fields: { onHand: null } }) }),
    ]);
  });

  it('counter: tallies taken offline on two devices add up everywhere', async () => {
    const count = cab.core.perform(yardCountCreate('row-20')).record.id;
    await syncAll(cab, kiosk);
    cab.core.perform(tally(count, 3));
    kiosk.core.perform(tally(count, 4));
    kiosk.core.perform(tally(count, 2));
    expect(cab.core.getRecord('yardCount', count)?.fields.tally).toBe(3);
    expect(kiosk.core.getRecord('yardCount', count)?.fields.tally).toBe(6);

    await syncAll(cab, kiosk, kioskB);

    for (const device of [cab, kiosk, kioskB]) expect(device.core.getRecord('yardCount', count)?.fields.tally, device.name).toBe(9);
    expect(await world.office.record('yardCount', count)).toMatchObject({ fields: { tally: 9 } });
  });

  it('set: a seal removed on one kiosk and added again on another stays (add wins); other seals from both are kept', async () => {
    const gate = kiosk.core.perform(gateEventCreate({ truckPlate: 'TX-4471', seal: 'SEAL-1' })).record.id;
    await syncAll(kiosk, kioskB);
    kiosk.core.perform(removeSeal(gate, 'SEAL-1'));
    kiosk.core.perform(addSeal(gate, 'SEAL-2'));
    kioskB.core.perform(addSeal(gate, 'SEAL-1'));
    kioskB.core.perform(addSeal(gate, 'SEAL-3'));

    await syncAll(kioskB, kiosk);

    for (const device of [kiosk, kioskB]) {
      expect(device.core.getRecord('gateEvent', gate)?.fields.sealNumbers, device.name).toEqual(['SEAL-1', 'SEAL-2', 'SEAL-3']);
    }
    expect(inboxFor(kiosk, gate)).toContainEqual(expect.objectContaining({ outcome: 'merged', whatHappened: expect.stringMatching(/add wins/) }));
  });

  it('tombstone: an office delete wins over a stale field update, which is kept, flagged and shown as failed', async () => {
    const order = await world.office.createWorkOrder({ title: 'Cancelled pickup' });
    await syncAll(cab, kiosk);
    const stale = cab.core.perform(update('workOrder', order.id, { statusNote: 'arrived at shipper' }));
    await world.office.deleteWorkOrder(order.id);

    await syncAll(cab, kiosk);

    for (const device of [cab, kiosk]) {
      expect(device.core.getRecord('workOrder', order.id), device.name).toMatchObject({ deleted: true, syncState: 'synced' });
      expect(device.core.listRecords('workOrder').map((record) => record.id)).not.toContain(order.id);
    }
    expect(cab.core.failedEntries()).toContainEqual(expect.objectContaining({ seq: stale.seq, reason: 'record-deleted' }));
    expect(inboxFor(cab, order.id)).toEqual([expect.objectContaining({ outcome: 'rejected', serverKept: expect.objectContaining({ deleted: true }) })]);
    // A device cannot edit what it knows is deleted.
    expect(() => cab.core.perform(update('workOrder', order.id, { statusNote: 'again' }))).toThrow(/was deleted/);
  });

  it('a device delete of a record edited concurrently on another device wins, and the other device ends up with it deleted', async () => {
    const count = kiosk.core.perform(yardCountCreate('row-30')).record.id;
    await syncAll(kiosk, kioskB);
    kiosk.core.perform(remove('yardCount', count));
    kioskB.core.perform(tally(count, 1));

    await syncAll(kiosk, kioskB);

    expect(kioskB.core.getRecord('yardCount', count)).toMatchObject({ deleted: true });
    expect(kioskB.core.failedEntries()).toContainEqual(expect.objectContaining({ recordId: count, reason: 'record-deleted' }));
  });
});
