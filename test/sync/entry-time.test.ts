import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncTransport } from '../../main/core/sync/transport.js';
import { journalEntries } from '../../server/db/schema.js';
import { INSPECTOR } from '../support/device.js';
import { update } from '../support/actions.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

/**
 * Which edit last-writer-wins keeps, when the network and the office's own queue delay pushes and
 * when device clocks are set wrong. Devices, office and network share one manual clock, so "made
 * last" is a fact of the test, not of the machine's speed.
 */
let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

const HOUR = 60 * 60 * 1000;

/** Pushes from this device spend `ms` on their way to the office (a slow link, or the office's queue before it reads them). */
function slowPushes(ms: number): (http: SyncTransport) => SyncTransport {
  return (http) => ({
    post(path, body, headers) {
      if (path === '/v1/sync/push') world.clock.advance(ms);
      return http.post(path, body, headers);
    },
    events: (path, headers, handlers) => http.events(path, headers, handlers),
  });
}

async function signedIn(device: Promise<FieldDevice>): Promise<FieldDevice> {
  const ready = await device;
  ready.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  return ready;
}

async function storedEntry(device: FieldDevice, seq: number) {
  const rows = await world.server.database.db.select().from(journalEntries).where(eq(journalEntries.deviceId, device.core.deviceId));
  return rows.find((row) => row.seq === seq)!;
}

describe('effective time of field edits', () => {
  it('keeps the status note made last when the earlier edit reaches the office seconds later (transit and queueing are not clock skew)', async () => {
    const first = await signedIn(world.addDevice('cab-time-slow', { transport: slowPushes(4_000) }));
    const last = await signedIn(world.addDevice('cab-time-fast'));
    const order = await world.office.createWorkOrder({ title: 'Reefer check', statusNote: 'new' });
    await first.client.pull();
    await last.client.pull();

    world.clock.advance(10_000);
    first.core.perform(update('workOrder', order.id, { statusNote: 'brakes checked' }));
    world.clock.advance(1_500);
    last.core.perform(update('workOrder', order.id, { statusNote: 'waiting for parts' }));
    await last.client.sync();
    // The earlier edit's push waits 4 s on its way: under the old reading the office took those
    // 4 s for the device clock running behind and moved the edit past the later one.
    await first.client.sync();
    await last.client.pull();

    expect(await world.office.record('workOrder', order.id)).toMatchObject({ fields: { statusNote: 'waiting for parts' } });
    for (const device of [first, last]) {
      expect(device.core.getRecord('workOrder', order.id)).toMatchObject({ fields: { statusNote: 'waiting for parts' } });
    }
    expect(first.core.conflicts().filter((entry) => entry.recordId === order.id)).toEqual([
      expect.objectContaining({ outcome: 'merged', serverKept: expect.objectContaining({ fields: { statusNote: 'waiting for parts' } }) }),
    ]);
    const slowEntry = await storedEntry(first, first.core.status().journal.lastSeq);
    expect(slowEntry).toMatchObject({ skewFlagged: false, clockOffsetMs: 0 });
    expect(slowEntry.effectiveTime).toBe(slowEntry.deviceTime);
  });

  it('corrects a device clock an hour fast by what its own exchanges with the office measured', async () => {
    const fast = await signedIn(world.addDevice('cab-time-ahead', { clockOffsetMs: HOUR }));
    const order = await world.office.createWorkOrder({ title: 'Chassis swap', statusNote: 'new' });
    await fast.client.pull();

    world.clock.advance(10_000);
    const madeAt = world.clock.now();
    fast.core.perform(update('workOrder', order.id, { statusNote: 'on the ramp' }));
    world.clock.advance(1_000);
    // The dispatcher's edit is made a second after the device's: it is the last, and it stays.
    await world.office.updateWorkOrder(order.id, { statusNote: 'moved to bay 4' });
    await fast.client.sync();

    expect(await world.office.record('workOrder', order.id)).toMatchObject({ fields: { statusNote: 'moved to bay 4' } });
    const entry = await storedEntry(fast, fast.core.status().journal.lastSeq);
    expect(entry).toMatchObject({ deviceTime: madeAt + HOUR, effectiveTime: madeAt, clockOffsetMs: -HOUR, skewFlagged: false });

    // And an edit it makes after the dispatcher's wins.
    world.clock.advance(1_000);
    fast.core.perform(update('workOrder', order.id, { statusNote: 'ready to roll' }));
    await fast.client.sync();
    expect(await world.office.record('workOrder', order.id)).toMatchObject({ fields: { statusNote: 'ready to roll' } });
  });
});
