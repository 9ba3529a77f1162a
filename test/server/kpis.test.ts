import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflictRatesSchema } from '../../protocol/wire.js';
import { conflictRates } from '../../server/fleet/conflict-rates.js';
import { update } from '../support/actions.js';
import { CLERK, INSPECTOR } from '../support/device.js';
import { call, SOUTH } from '../support/server.js';
import { type FieldDevice, SyncWorld, syncAll } from '../sync/support/world.js';

describe('conflicts per 1,000 edits', () => {
  it('counts the field decisions that changed a field, and as conflicts those that met a concurrent edit, went to review or were refused', () => {
    const rates = conflictRates([
      { recordType: 'workOrder', field: 'statusNote', outcome: 'applied', count: 996 },
      { recordType: 'workOrder', field: 'location', outcome: 'superseded', count: 3 },
      { recordType: 'workOrder', field: 'statusNote', outcome: 'merged', count: 1 },
      { recordType: 'workOrder', field: 'title', outcome: 'rejected', count: 2 },
      { recordType: 'workOrder', field: 'title', outcome: 'applied', count: 8 },
      { recordType: 'workOrder', field: 'status', outcome: 'observed', count: 500 },
      { recordType: 'inspection', field: 'signature', outcome: 'review', count: 1 },
    ]);
    expect(rates).toEqual([
      { recordType: 'workOrder', policy: 'lww', edits: 1000, conflicts: 4, perThousand: 4, outcomes: { merged: 1, superseded: 3, review: 0, rejected: 0 } },
      { recordType: 'workOrder', policy: 'owner: office', edits: 10, conflicts: 2, perThousand: 200, outcomes: { merged: 0, superseded: 0, review: 0, rejected: 2 } },
      { recordType: 'inspection', policy: 'review', edits: 1, conflicts: 1, perThousand: 1000, outcomes: { merged: 0, superseded: 0, review: 1, rejected: 0 } },
    ]);
    expect(conflictRates([])).toEqual([]);
  });
});

describe('the conflict-rate KPI on a real office', () => {
  let world: SyncWorld;
  let cab: FieldDevice;
  let kiosk: FieldDevice;

  beforeAll(async () => {
    world = await SyncWorld.start();
    cab = await world.addDevice('cab-kpi');
    kiosk = await world.addDevice('kiosk-kpi');
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
  });
  afterAll(async () => world?.close());

  it('reports a concurrent edit two devices made, by record type and policy, for the window asked, and nothing for another site or outside the window', async () => {
    const order = await world.office.createWorkOrder({ title: 'Yard check', assignee: INSPECTOR.operatorId });
    await syncAll(cab, kiosk);
    cab.core.perform(update('workOrder', order.id, { statusNote: 'cab saw it first' }));
    world.clock.advance(1_000);
    kiosk.core.perform(update('workOrder', order.id, { statusNote: 'kiosk saw it later' }));
    await syncAll(cab, kiosk);

    const kpis = async (query = '') => conflictRatesSchema.parse((await call(world.server, 'GET', `/v1/admin/kpis/conflicts${query}`, { token: world.server.adminToken })).body);
    const lww = (await kpis()).rates.find((rate) => rate.recordType === 'workOrder' && rate.policy === 'lww');
    // The office's create set the status (last writer wins too): three edits, one of which met a concurrent one.
    expect(lww).toMatchObject({ edits: 3, conflicts: 1, perThousand: 333.3 });
    expect(lww!.outcomes.merged + lww!.outcomes.superseded).toBe(1);
    expect((await kpis(`?siteId=${SOUTH}`)).rates).toEqual([]);
    world.clock.advance(2 * 24 * 60 * 60 * 1000);
    expect((await kpis('?days=1')).rates).toEqual([]);

    // What a wrong query gets: a clear refusal, not a 500.
    for (const query of ['?days=0', '?days=91', '?days=two', '?siteId=%00', '?other=1']) {
      const answer = await call(world.server, 'GET', `/v1/admin/kpis/conflicts${query}`, { token: world.server.adminToken });
      expect([query, answer.status]).toEqual([query, 400]);
    }
    expect((await call(world.server, 'GET', '/v1/admin/kpis/conflicts', { token: world.office.token })).status).toBe(403);
  });
});
