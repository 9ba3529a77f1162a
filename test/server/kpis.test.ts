import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflictRatesSchema, syncHealthSchema } from '../../protocol/wire.js';
import { conflictRates } from '../../server/fleet/conflict-rates.js';
import { DEVICE_REPORT_EVERY_MS, bucketMsFor, reportDue } from '../../server/fleet/reports.js';
import { update } from '../support/actions.js';
import { CLERK, INSPECTOR } from '../support/device.js';
import { call, SOUTH } from '../support/server.js';
import { networkError } from '../../main/core/sync/errors.js';
import type { PostOptions, SyncTransport, TransportResponse } from '../../main/core/sync/transport.js';
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

  it('keeps what devices tell of their queue at most every 5 minutes, and charts queue depth and pull time per time step', async () => {
    const sync = async (query = '') => syncHealthSchema.parse((await call(world.server, 'GET', `/v1/admin/kpis/sync${query}`, { token: world.server.adminToken })).body);
    const kept = async () => ((await world.server.database.db.execute(sql`SELECT count(*)::int AS n FROM device_reports`)) as unknown as { rows: { n: number }[] }).rows[0]!.n;
    world.clock.advance(DEVICE_REPORT_EVERY_MS);
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    await syncAll(cab, kiosk);
    const before = await kept();
    // Three notes queued on the cab, told with its next pull (in a later time step); a second pull a minute later is not kept.
    for (const body of ['one', 'two', 'three']) cab.core.perform({ recordType: 'note', action: 'create', ops: [{ op: 'set', field: 'subjectType', value: 'workOrder' }, { op: 'set', field: 'subjectId', value: 'wo-1' }, { op: 'set', field: 'body', value: body }] });
    world.clock.advance(30 * 60_000);
    await cab.client.pull();
    world.clock.advance(60_000);
    await cab.client.pull();
    expect(await kept()).toBe(before + 1);
    const health = await sync('?days=1');
    expect(health.bucketMs).toBe(15 * 60_000);
    const last = health.buckets.at(-1)!;
    expect(last).toMatchObject({ devices: 1, pendingMax: 3, pendingMean: 3 });
    expect(last.pullMsP95).toBeGreaterThanOrEqual(last.pullMsP50);
    expect(last.at % health.bucketMs).toBe(0);
    expect(health.buckets.at(-2)).toMatchObject({ devices: 2, pendingMax: 0 });
    expect((await sync(`?siteId=${SOUTH}`)).buckets).toEqual([]);
  });
});

/** A cab's link: down (every request fails at once) or up, each answer taking two seconds of the shared clock. */
class CabLink implements SyncTransport {
  down = false;
  constructor(
    private readonly inner: SyncTransport,
    private readonly world: () => SyncWorld,
  ) {}

  async post(path: string, body: unknown, headers: Record<string, string>, options?: PostOptions): Promise<TransportResponse> {
    if (this.down) throw networkError(new Error('no route to host'));
    const answer = await this.inner.post(path, body, headers, options);
    this.world().clock.advance(2_000);
    return answer;
  }

  events: SyncTransport['events'] = (path, headers, handlers) => this.inner.events(path, headers, handlers);
}

describe('what devices measure of their link, on a real office', () => {
  let world: SyncWorld;
  beforeAll(async () => {
    world = await SyncWorld.start();
  });
  afterAll(async () => world?.close());

  it('charts the devices\' push round trips and the time from a reconnect to converged, per time step', async () => {
    let link: CabLink | null = null;
    const cab = await world.addDevice('cab-link-times', { transport: (http) => (link = new CabLink(http, () => world)) });
    const sync = async () => syncHealthSchema.parse((await call(world.server, 'GET', '/v1/admin/kpis/sync?days=1', { token: world.server.adminToken })).body);
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    world.clock.advance(DEVICE_REPORT_EVERY_MS);

    // Tried: the cab drives into a dead zone; two syncs fail there, 10 minutes apart; work piles up.
    link!.down = true;
    for (let attempt = 0; attempt < 2; attempt++) {
      cab.core.perform({ recordType: 'note', action: 'create', ops: [{ op: 'set', field: 'subjectType', value: 'workOrder' }, { op: 'set', field: 'subjectId', value: 'wo-9' }, { op: 'set', field: 'body', value: `dead zone ${attempt}` }] });
      await expect(cab.client.sync()).rejects.toMatchObject({ code: 'network' });
      world.clock.advance(10 * 60_000);
    }
    // Signal returns: the first sync pushes (2 s), pulls (2 s) and converges; its pull tells the push time, the next the reconnect.
    link!.down = false;
    await cab.client.sync();
    world.clock.advance(DEVICE_REPORT_EVERY_MS);
    await cab.client.pull();

    const fleet = await call<{ devices: { id: string; health: { lastPushMs: number | null; lastConvergedMs: number | null } | null }[] }>(world.server, 'GET', '/v1/admin/devices', { token: world.server.adminToken });
    expect(fleet.body.devices.find((device) => device.id === cab.core.deviceId)?.health).toMatchObject({ lastPushMs: 2_000, lastConvergedMs: 4_000 });
    const last = (await sync()).buckets.at(-1)!;
    expect(last).toMatchObject({ devices: 1, pushMsP50: 2_000, pushMsP95: 2_000 });
    // Push, then pull of the same sync: 4 s from the first attempt after the cut-off to drained and pulled.
    expect(last.convergedMsP50).toBe(4_000);
    // A step where no device told them has no figure rather than a zero.
    const kept = (await world.server.database.db.execute(sql`SELECT push_ms, converged_ms FROM device_reports ORDER BY id`)) as unknown as { rows: { push_ms: number | null; converged_ms: number | null }[] };
    expect(kept.rows[0]).toEqual({ push_ms: null, converged_ms: null });
  });
});

describe('the history of device reports', () => {
  it('keeps the first report and then one per 5 minutes', () => {
    expect(reportDue(null, 1_000)).toBe(true);
    expect(reportDue(1_000, 1_000 + DEVICE_REPORT_EVERY_MS - 1)).toBe(false);
    expect(reportDue(1_000, 1_000 + DEVICE_REPORT_EVERY_MS)).toBe(true);
  });

  it('charts at most about a hundred and twenty steps whatever the window', () => {
    for (const days of [1, 7, 30, 90]) expect((days * 24 * 60 * 60_000) / bucketMsFor(days)).toBeLessThanOrEqual(120);
  });
});
