import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkError } from '../../main/core/sync/errors.js';
import type { PostOptions, TransportResponse } from '../../main/core/sync/transport.js';
import type { Change } from '../../protocol/wire.js';
import { update } from '../support/actions.js';
import { INSPECTOR } from '../support/device.js';
import { inspectionAnswers, inspectionCreate } from '../support/inspection.js';
import { PassThroughTransport } from './support/pass-through.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

/**
 * Pulls carry a record the device was told of before as what changed since (a delta against that
 * version); a device whose copy cannot take the delta fetches the record whole, and holds exactly
 * what the office holds either way.
 */

/** Notes the changes of every pull page and the records fetched whole; can cut the next fetch. */
class WatchedOffice extends PassThroughTransport {
  changes: Change[] = [];
  fetchedWhole: string[] = [];
  failNextFetch = false;

  override async post(path: string, body: unknown, headers: Record<string, string>, options?: PostOptions): Promise<TransportResponse> {
    if (path === '/v1/sync/records') {
      if (this.failNextFetch) {
        this.failNextFetch = false;
        throw networkError(new Error('connection reset'));
      }
      this.fetchedWhole.push(...(body as { keys: { id: string }[] }).keys.map((key) => key.id));
    }
    const response = await super.post(path, body, headers, options);
    if (path === '/v1/sync/pull' && response.status === 200) this.changes.push(...(response.body as { changes: Change[] }).changes);
    return response;
  }
}

let world: SyncWorld;
beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

async function watchedDevice(name: string): Promise<{ device: FieldDevice; office: WatchedOffice }> {
  let office: WatchedOffice | null = null;
  const device = await world.addDevice(name, { transport: (http) => (office = new WatchedOffice(http)) });
  device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  office!.changes = [];
  return { device, office: office! };
}

async function expectHoldsOfficeCopy(device: FieldDevice, type: string, id: string): Promise<void> {
  const canonical = await world.office.record(type, id);
  expect(device.core.getRecord(type as 'workOrder', id)).toMatchObject({ serverVersion: canonical!.version, fields: canonical!.fields, syncState: 'synced' });
}

describe('pull deltas', () => {
  it('bring an office edit of a work order the device holds as the changed field alone, and the device ends with the office copy', async () => {
    const { device, office } = await watchedDevice('cab-delta-edit');
    await world.office.createWorkOrder({ id: 'wo-delta-edit', title: 'Brake check trailer 40', assignee: INSPECTOR.operatorId });
    await device.client.pull();
    expect(office.changes).toEqual([expect.objectContaining({ kind: 'record', record: expect.objectContaining({ id: 'wo-delta-edit', version: 1 }) })]);

    office.changes = [];
    await world.office.updateWorkOrder('wo-delta-edit', { statusNote: 'Parts ordered', location: 'Bay 4' });
    await device.client.pull();
    expect(office.changes).toEqual([
      {
        kind: 'recordDelta',
        delta: expect.objectContaining({ id: 'wo-delta-edit', baseVersion: 1, version: 2, set: { statusNote: 'Parts ordered', location: 'Bay 4' }, unset: [], entries: {} }),
      },
    ]);
    await expectHoldsOfficeCopy(device, 'workOrder', 'wo-delta-edit');
    expect(office.fetchedWhole).toEqual([]);
  });

  it("bring the rest of another device's inspection as the answers added, by checklist item", async () => {
    const { device: inspector } = await watchedDevice('cab-delta-inspector');
    const { device: reader, office } = await watchedDevice('cab-delta-reader');
    const id = inspector.core.perform(inspectionCreate(7)).record.id;
    const answers = inspectionAnswers(id, 7);
    for (const answer of answers.slice(0, 12)) inspector.core.perform(answer);
    await inspector.client.sync();
    await reader.client.pull();
    const firstPart = office.changes.find((change) => change.kind === 'record' && change.record.id === id);
    expect(firstPart).toBeDefined();

    office.changes = [];
    for (const answer of answers.slice(12)) inspector.core.perform(answer);
    await inspector.client.sync();
    await reader.client.pull();
    const rest = office.changes.find((change) => change.kind === 'recordDelta' && change.delta.id === id);
    expect(rest).toMatchObject({ kind: 'recordDelta', delta: { set: {}, unset: [] } });
    const items = rest?.kind === 'recordDelta' ? rest.delta.entries.items : undefined;
    // Only the items answered since (an answer and its note are one item).
    const answeredSince = new Set(answers.slice(12).flatMap((answer) => answer.ops.flatMap((op) => ('key' in op && op.key ? [op.key] : []))));
    expect(new Set(Object.keys(items?.set ?? {}))).toEqual(answeredSince);
    expect(answeredSince.size).toBeLessThan(10);
    await expectHoldsOfficeCopy(reader, 'inspection', id);
  });

  it('fetch whole a record whose copy holds unsent work, keeping that work on top, and finish a fetch cut short on the next pull', async () => {
    const { device, office } = await watchedDevice('cab-delta-unsent');
    await world.office.createWorkOrder({ id: 'wo-delta-unsent', title: 'Reefer check', assignee: INSPECTOR.operatorId });
    await device.client.pull();
    // The inspector notes a location, not sent yet, while the dispatcher changes the status note.
    device.core.perform(update('workOrder', 'wo-delta-unsent', { location: 'Row F' }));
    await world.office.updateWorkOrder('wo-delta-unsent', { statusNote: 'Customer called' });

    // What is tried: the delta cannot be applied to a copy with unsent work, and the fetch of the
    // whole record is cut off by the network.
    office.failNextFetch = true;
    await expect(device.client.pull()).rejects.toMatchObject({ code: 'network' });
    expect(office.changes.at(-1)).toMatchObject({ kind: 'recordDelta', delta: { id: 'wo-delta-unsent', baseVersion: 1, version: 2 } });
    expect(device.core.getRecord('workOrder', 'wo-delta-unsent')).toMatchObject({ serverVersion: 1, fields: { location: 'Row F' }, syncState: 'pending' });

    // The next pull has no new change for it, and fetches it whole all the same.
    await device.client.pull();
    expect(office.fetchedWhole).toEqual(['wo-delta-unsent']);
    expect(device.core.getRecord('workOrder', 'wo-delta-unsent')).toMatchObject({
      serverVersion: 2,
      fields: { statusNote: 'Customer called', location: 'Row F' },
      syncState: 'pending',
    });
    await device.client.sync();
    await expectHoldsOfficeCopy(device, 'workOrder', 'wo-delta-unsent');
    expect((await world.office.record('workOrder', 'wo-delta-unsent'))?.fields).toMatchObject({ statusNote: 'Customer called', location: 'Row F' });
  });
});
