import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceSync } from '../../main/core/sync/device-sync.js';
import { STATE_CHECK_INTERVAL_MS, STATE_CHECK_MIN_GAP_MS, type StateCheckDiagnostics, stateCheckDue } from '../../main/core/sync/anti-entropy.js';
import type { DeviceStatusView, IpcResult } from '../../main/ipc/contract.js';
import { createIpcHandler } from '../../main/ipc/handlers.js';
import type { TransportResponse } from '../../main/core/sync/transport.js';
import { deviceHeaders } from '../../main/core/sync/api.js';
import { readEnrollment } from '../../main/core/sync/state.js';
import { STATE_BUCKETS } from '../../protocol/state-hash.js';
import { CURRENT_SCHEMA_VERSION } from '../../protocol/wire.js';
import { CLERK, INSPECTOR, SeededRandomness } from '../support/device.js';
import { SOUTH, SOUTH_INSPECTOR } from '../support/server.js';
import { gateEventCreate, noteCreate, submit, update } from '../support/actions.js';
import { FakeTimers } from './support/timers.js';
import { PassThroughTransport } from './support/pass-through.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

/** A pull answer whose record changes are lost on the way (a proxy, a bug): the cursor moves past them. */
class LosingPullTransport extends PassThroughTransport {
  pagesToLose = 0;

  override async post(path: string, body: unknown, headers: Record<string, string>): Promise<TransportResponse> {
    const response = await super.post(path, body, headers);
    if (path !== '/v1/sync/pull' || response.status !== 200 || this.pagesToLose === 0) return response;
    this.pagesToLose--;
    const page = response.body as { changes: { kind: string }[] };
    return { ...response, body: { ...page, changes: page.changes.filter((change) => change.kind === 'operator') } };
  }
}

let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

function checkState(device: FieldDevice) {
  return device.core.checkState(device.transport, { catchUp: () => device.client.pull() });
}

/** A clerk records and submits gate events, and the device syncs them. */
async function recordGateEvents(device: FieldDevice, count: number): Promise<string[]> {
  device.core.signIn(CLERK.badgeId, CLERK.pin);
  const ids = [];
  for (let i = 0; i < count; i++) {
    world.clock.advance(60_000);
    const id = device.core.perform(gateEventCreate({ truckPlate: `TX ${device.name} ${i}` })).record.id;
    device.core.perform(submit('gateEvent', id));
    ids.push(id);
  }
  device.core.signOut();
  await device.client.sync();
  return ids;
}

describe('when a state check is due', () => {
  const MINUTE = 60_000;
  const checkedAt = 1_000 * MINUTE;
  const checked: StateCheckDiagnostics = { checks: 1, lastCheckedAt: checkedAt, lastMatchedAt: checkedAt, incidents: 0, lastIncident: null, lastError: null };

  it('checks at once on a device that never did, then after a checkpoint, an error or an unresolved incident, never within 15 minutes of the last try (a fleet checkpointing after every sync of a reconnect)', () => {
    expect(stateCheckDue({ ...checked, checks: 0, lastCheckedAt: null, lastMatchedAt: null }, 0, false)).toBe(true);
    const cases: [StateCheckDiagnostics, boolean][] = [
      [checked, true],
      [{ ...checked, lastError: { code: 'unavailable', message: 'busy', at: checkedAt + 2 * MINUTE } }, false],
      [{ ...checked, incidents: 1, lastIncident: { at: checkedAt, differingBuckets: 1, refetched: 1, dropped: 0, converged: false, records: [] } }, false],
    ];
    for (const [diagnostics, newCheckpoint] of cases) {
      const lastTry = Math.max(checkedAt, diagnostics.lastError?.at ?? 0);
      expect(stateCheckDue(diagnostics, lastTry + STATE_CHECK_MIN_GAP_MS - 1, newCheckpoint)).toBe(false);
      expect(stateCheckDue(diagnostics, lastTry + STATE_CHECK_MIN_GAP_MS, newCheckpoint)).toBe(true);
    }
    // A device that never got an answer tries again after the gap too.
    expect(stateCheckDue({ ...checked, lastCheckedAt: null, lastError: { code: 'network', message: 'no route', at: checkedAt } }, checkedAt + MINUTE, false)).toBe(false);
    expect(stateCheckDue({ ...checked, lastCheckedAt: null, lastError: { code: 'network', message: 'no route', at: checkedAt } }, checkedAt + STATE_CHECK_MIN_GAP_MS, false)).toBe(true);
    // Nothing new: at the interval.
    expect(stateCheckDue(checked, checkedAt + STATE_CHECK_INTERVAL_MS - 1, false)).toBe(false);
    expect(stateCheckDue(checked, checkedAt + STATE_CHECK_INTERVAL_MS, false)).toBe(true);
  });
});

describe('state check (anti-entropy)', () => {
  it('finds a record row changed on the device behind the app, fetches it again from the office, and says so in the diagnostics', async () => {
    const kiosk = await world.addDevice('kiosk-tampered');
    const ids = await recordGateEvents(kiosk, 6);
    const sync = new DeviceSync(kiosk.core, { transport: kiosk.transport, clock: world.clock, random: new SeededRandomness('tampered'), timers: new FakeTimers(world.clock) });
    // The product path: a sync runs the first state check by itself, and the device agrees with the office.
    await sync.syncNow();
    expect(kiosk.core.status().storage.stateCheck).toMatchObject({ checks: 1, incidents: 0, lastMatchedAt: world.clock.now(), lastIncident: null });

    // Tried: the carrier of one synced gate event is rewritten in the device database, behind the app.
    const tampered = ids[3]!;
    kiosk.core.database.sqlite.prepare(`UPDATE rec_gate_event SET carrier = 'Forged Freight' WHERE id = ?`).run(tampered);
    world.clock.advance(7 * 60 * 60 * 1000);
    const revision = sync.status().revision;
    await sync.syncNow();

    expect(kiosk.core.getRecord('gateEvent', tampered)?.fields.carrier).toBe('Lone Star Drayage');
    // The diagnostics the app reads over IPC say what happened.
    const handle = createIpcHandler(kiosk.core, { unenrolledSiteId: 'site-oak', sync: () => sync });
    const status = (await handle('device.status', {})) as IpcResult<DeviceStatusView>;
    expect(status.ok && status.value.storage.stateCheck).toMatchObject({
      checks: 2,
      incidents: 1,
      lastMatchedAt: world.clock.now(),
      lastIncident: { at: world.clock.now(), differingBuckets: 1, refetched: 1, dropped: 0, converged: true, records: [`gateEvent/${tampered}`] },
      lastError: null,
    });
    // Screens reload what they show; the next check finds nothing to repair.
    expect(sync.status().revision).toBeGreaterThan(revision);
    expect(await checkState(kiosk)).toMatchObject({ outcome: 'matched' });
    expect(kiosk.core.status().storage.stateCheck.incidents).toBe(1);
  });

  it('finds the records of a pull page lost on the way (the cursor moved past them) and fetches them', async () => {
    const cab = await world.addDevice('cab-writer');
    const losing = { transport: undefined as unknown as LosingPullTransport };
    const kiosk = await world.addDevice('kiosk-lossy', { transport: (http) => (losing.transport = new LosingPullTransport(http)) });
    const lost = await recordGateEvents(cab, 4);
    const workOrder = await world.office.createWorkOrder({ id: 'wo-anti-entropy-lost', title: 'Check reefer unit', status: 'open' });
    await world.office.updateWorkOrder(workOrder.id, { statusNote: 'bring the gauge set' });

    losing.transport.pagesToLose = 1;
    await kiosk.client.sync();
    expect(lost.map((id) => kiosk.core.getRecord('gateEvent', id))).toEqual([null, null, null, null]);
    expect(kiosk.core.getRecord('workOrder', workOrder.id)).toBeNull();

    const report = await checkState(kiosk);

    expect(report).toMatchObject({ outcome: 'repaired', incident: { refetched: 5, dropped: 0, converged: true } });
    for (const id of lost) expect(kiosk.core.getRecord('gateEvent', id)).toMatchObject({ syncState: 'synced', fields: { truckPlate: expect.stringMatching(/^TX cab-writer/) } });
    expect(kiosk.core.getRecord('workOrder', workOrder.id)).toMatchObject({ serverVersion: 2, fields: { statusNote: 'bring the gauge set' } });
    expect(kiosk.core.status().storage.stateCheck).toMatchObject({ incidents: 1, lastIncident: { converged: true } });
    expect(await checkState(kiosk)).toMatchObject({ outcome: 'matched' });
  });

  it('leaves unsent work out on both sides: a device with edits still to send agrees with the office and keeps them', async () => {
    const kiosk = await world.addDevice('kiosk-unsent');
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    const noteId = kiosk.core.perform(noteCreate('seal number smudged')).record.id;
    await kiosk.client.sync();
    kiosk.core.perform(update('note', noteId, { body: 'seal number smudged; photo taken' }));
    const draft = kiosk.core.perform(gateEventCreate({ truckPlate: 'TX unsent' })).record.id;

    expect(await checkState(kiosk)).toMatchObject({ outcome: 'matched' });
    expect(kiosk.core.getRecord('note', noteId)).toMatchObject({ syncState: 'pending', fields: { body: 'seal number smudged; photo taken' } });
    expect(kiosk.core.getRecord('gateEvent', draft)).toMatchObject({ syncState: 'local' });
    expect(kiosk.core.status().storage.stateCheck.incidents).toBe(0);
  });

  it('a change the office made since the last pull is pulled, not counted as an incident', async () => {
    const kiosk = await world.addDevice('kiosk-behind');
    const workOrder = await world.office.createWorkOrder({ id: 'wo-anti-entropy-behind', title: 'Swap chassis tyre', status: 'open' });
    await kiosk.client.sync();
    await world.office.updateWorkOrder(workOrder.id, { statusNote: 'tyre in stock' });

    expect(await checkState(kiosk)).toMatchObject({ outcome: 'matched' });
    expect(kiosk.core.getRecord('workOrder', workOrder.id)?.fields.statusNote).toBe('tyre in stock');
    expect(kiosk.core.status().storage.stateCheck.incidents).toBe(0);
  });

  it('follows every new version of a record the office holds: leaves remembered from earlier checks never stand for a later state', async () => {
    const first = await world.addDevice('kiosk-leaves-a');
    const second = await world.addDevice('kiosk-leaves-b');
    const workOrder = await world.office.createWorkOrder({ id: 'wo-anti-entropy-versions', title: 'Reseal reefer door', status: 'open' });
    for (const device of [first, second]) {
      await device.client.sync();
      expect(await checkState(device)).toMatchObject({ outcome: 'matched' });
    }
    for (const note of ['gasket ordered', 'gasket fitted']) {
      await world.office.updateWorkOrder(workOrder.id, { statusNote: note });
      for (const device of [first, second]) {
        expect(await checkState(device)).toMatchObject({ outcome: 'matched' });
        expect(device.core.getRecord('workOrder', workOrder.id)?.fields.statusNote).toBe(note);
      }
    }
    // A row changed behind the first device's back still reads as different from the office's remembered leaf.
    first.core.database.sqlite.prepare(`UPDATE rec_work_order SET status_note = 'edited behind the app' WHERE id = ?`).run(workOrder.id);
    expect(await checkState(first)).toMatchObject({ outcome: 'repaired', incident: { refetched: 1, converged: true } });
    expect(first.core.getRecord('workOrder', workOrder.id)?.fields.statusNote).toBe('gasket fitted');
    expect(first.core.status().storage.stateCheck.incidents).toBe(1);
  });

  it('drops a record the office no longer shares with the site (a south work order taken from a north inspector)', async () => {
    const cab = await world.addDevice('cab-reassigned');
    const workOrder = await world.office.createWorkOrder({ id: 'wo-anti-entropy-moved', siteId: SOUTH, title: 'Inspect flatbed', status: 'open', assignee: INSPECTOR.operatorId });
    await cab.client.sync();
    await world.office.updateWorkOrder(workOrder.id, { assignee: SOUTH_INSPECTOR.operatorId });
    // The north yard hears of the version that took the work order away, and the cab keeps that copy.
    await cab.client.sync();
    expect(cab.core.getRecord('workOrder', workOrder.id)?.fields.assignee).toBe(SOUTH_INSPECTOR.operatorId);

    const report = await checkState(cab);

    expect(report).toMatchObject({ outcome: 'repaired', incident: { refetched: 0, dropped: 1, converged: true, records: [`workOrder/${workOrder.id}`] } });
    expect(cab.core.getRecord('workOrder', workOrder.id)).toBeNull();
  });

  it('answers only for the device’s own site: another yard’s records are neither counted nor fetched', async () => {
    const south = await world.office.createWorkOrder({ id: 'wo-anti-entropy-south', siteId: SOUTH, title: 'South only', status: 'open' });
    const kiosk = await world.addDevice('kiosk-scope');
    await kiosk.client.sync();
    const held = kiosk.core.status().storage;

    expect(await kiosk.core.fetchRecords(kiosk.transport, [{ type: 'workOrder', id: south.id }])).toEqual({ refetched: 0, dropped: 0 });
    expect(kiosk.core.getRecord('workOrder', south.id)).toBeNull();
    const answer = await kiosk.transport.post(
      '/v1/sync/state/buckets',
      { schemaVersion: CURRENT_SCHEMA_VERSION, closedBefore: 0, exclude: [], buckets: Array.from({ length: STATE_BUCKETS }, (_, i) => i) },
      deviceHeaders(readEnrollment(kiosk.core.database.db)!.credential),
    );
    expect(answer.status).toBe(200);
    expect((answer.body as { records: { id: string }[] }).records.map((record) => record.id)).not.toContain(south.id);
    expect(held.stateCheck.incidents).toBe(0);
  });
});
