import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSearchResultSchema, officeDirectorySchema, workOrderBoardSchema } from '../../protocol/wire.js';
import { CONSOLE_CSP } from '../../server/routes/console.js';
import { CLERK, INSPECTOR, tempDir } from '../support/device.js';
import { update } from '../support/actions.js';
import { call, NORTH, SOUTH, SOUTH_INSPECTOR, startTestServer } from '../support/server.js';
import { type FieldDevice, SyncWorld, syncAll } from '../sync/support/world.js';

/** A console build as the office finds it: a page and a content-named asset. */
function fakeConsole(): string {
  const dir = tempDir('waypost-console-');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Waypost office</title><script type="module" src="/console/assets/app-1.js"></script>');
  writeFileSync(join(dir, 'assets', 'app-1.js'), 'export {};');
  return dir;
}

describe('the console is served by the office', () => {
  it('takes the addresses people try to the console, serves its page with a strict CSP on every path, and its assets', async () => {
    const server = await startTestServer({ consoleDir: fakeConsole() });
    try {
      for (const [path, target] of [
        ['/', '/console/'],
        ['/console', '/console/'],
        ['/review', '/console/review'],
        ['/audit?type=workOrder&id=wo-1', '/console/audit?type=workOrder&id=wo-1'],
      ]) {
        const answer = await fetch(`${server.url}${path}`, { redirect: 'manual' });
        expect([answer.status, answer.headers.get('location')], path).toEqual([302, target]);
      }
      for (const path of ['/console/', '/console/review', '/console/audit?type=workOrder&id=wo-1', '/console/index.html']) {
        const page = await fetch(`${server.url}${path}`);
        expect(page.status, path).toBe(200);
        expect(page.headers.get('content-type'), path).toMatch(/^text\/html/);
        expect(page.headers.get('content-security-policy'), path).toBe(CONSOLE_CSP);
        expect(await page.text()).toContain('<title>Waypost office</title>');
      }
      expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
      const asset = await fetch(`${server.url}/console/assets/app-1.js`);
      expect([asset.status, asset.headers.get('content-type'), asset.headers.get('cache-control')]).toEqual([200, expect.stringMatching(/javascript/), 'public, max-age=31536000, immutable']);
      const missing = await call(server, 'GET', '/console/assets/app-2.js');
      expect([missing.status, missing.body.code]).toEqual([404, 'not-found']);
    } finally {
      await server.close();
    }
  });

  it('says how to build the console when it is not built', async () => {
    const server = await startTestServer({ consoleDir: join(tempDir('waypost-console-'), 'missing') });
    try {
      const answer = await call(server, 'GET', '/console/dispatch');
      expect(answer).toEqual({ status: 503, body: { code: 'unavailable', message: expect.stringMatching(/npm run build:console/) } });
    } finally {
      await server.close();
    }
  });
});

describe("the console's office API", () => {
  let world: SyncWorld;
  let cab: FieldDevice;
  let kiosk: FieldDevice;
  let dispatcher: string;

  beforeAll(async () => {
    world = await SyncWorld.start();
    dispatcher = world.office.token;
    cab = await world.addDevice('cab-console');
    kiosk = await world.addDevice('kiosk-console');
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
  });
  afterAll(async () => world?.close());

  it("lists the organisation's sites, operators and devices for the signed-in user", async () => {
    const directory = officeDirectorySchema.parse((await call(world.server, 'GET', '/v1/office/directory', { token: dispatcher })).body);
    expect(directory.user).toEqual({ id: 'user-dora', name: 'Dora Dispatcher', role: 'dispatcher', organisationId: 'org-1' });
    expect(directory.sites.map((site) => site.id).sort()).toEqual([NORTH, SOUTH]);
    expect(directory.operators.map((operator) => operator.id).sort()).toEqual([CLERK.operatorId, INSPECTOR.operatorId, SOUTH_INSPECTOR.operatorId].sort());
    expect(directory.devices.map((device) => device.label).sort()).toEqual(['cab-console', 'kiosk-console']);
  });

  it("shows each work order with the field's latest hand on it: operator, device, times and the device's last sync", async () => {
    const order = await world.office.createWorkOrder({ title: 'Board check', equipmentNumber: 'TRL-4410', assignee: INSPECTOR.operatorId });
    const untouched = await world.office.createWorkOrder({ title: 'Untouched' });
    await syncAll(cab);
    world.clock.advance(60_000);
    const startedAt = world.clock.now();
    cab.core.perform(update('workOrder', order.id, { status: 'in-progress', statusNote: 'on it' }));
    world.clock.advance(5_000);
    await syncAll(cab);

    const board = workOrderBoardSchema.parse((await call(world.server, 'GET', '/v1/office/work-orders', { token: dispatcher })).body);
    const shown = board.orders.find((entry) => entry.record.id === order.id);
    expect(shown?.record.fields).toMatchObject({ status: 'in-progress', statusNote: 'on it', assignee: INSPECTOR.operatorId });
    expect(shown?.field).toEqual({
      operatorId: INSPECTOR.operatorId,
      operatorName: INSPECTOR.displayName,
      deviceId: cab.core.deviceId,
      deviceLabel: 'cab-console',
      deviceTime: startedAt,
      receivedAt: world.clock.now(),
      deviceLastSeenAt: world.clock.now(),
    });
    expect(board.orders.find((entry) => entry.record.id === untouched.id)?.field).toBeNull();
    // Most recently changed first.
    expect(board.orders[0]?.record.id).toBe(order.id);

    const inProgress = workOrderBoardSchema.parse((await call(world.server, 'GET', '/v1/office/work-orders?status=in-progress', { token: dispatcher })).body);
    expect(inProgress.orders.map((entry) => entry.record.id)).toEqual([order.id]);
    const south = workOrderBoardSchema.parse((await call(world.server, 'GET', `/v1/office/work-orders?siteId=${SOUTH}`, { token: dispatcher })).body);
    expect(south.orders).toEqual([]);
  });

  it("streams the organisation's commits to office users: ready, then changes within the notification window", async () => {
    const stop = new AbortController();
    const response = await fetch(`${world.server.url}/v1/office/events`, { headers: { authorization: `Bearer ${dispatcher}` }, signal: stop.signal });
    expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (pattern: RegExp) => {
      for (let reads = 0; reads < 50 && !pattern.test(received); reads++) received += decoder.decode((await reader.read()).value, { stream: true });
      return received;
    };
    try {
      expect(await readUntil(/event: ready/)).toMatch(/event: ready\ndata: \{"at":\d+\}/);
      await world.office.createWorkOrder({ title: 'Live one' });
      // A device's push from an earlier test may share the notification window, so the devices
      // named beside the office are not asserted.
      expect(await readUntil(/event: changes/)).toMatch(new RegExp(`event: changes\\ndata: \\{"siteId":"${NORTH}","at":\\d+,"by":\\{"devices":\\[[^\\]]*\\],"office":true\\}\\}`));
    } finally {
      stop.abort();
    }
  });

  it('finds records for the auditor by operator, device, unit and time received', async () => {
    const reviewer = (await call(world.server, 'POST', '/v1/admin/users', { token: world.server.adminToken, body: { organisationId: 'org-1', name: 'Rita Reviewer', role: 'reviewer' } })).body.token;
    const before = world.clock.now();
    world.clock.advance(1_000);
    const order = await world.office.createWorkOrder({ title: 'Search me', equipmentNumber: 'MSKU-907032-3' });
    await syncAll(kiosk);
    kiosk.core.perform(update('workOrder', order.id, { location: 'row 9' }));
    world.clock.advance(1_000);
    await syncAll(kiosk);
    const search = async (query: string) => auditSearchResultSchema.parse((await call(world.server, 'GET', `/v1/audit/search?${query}`, { token: reviewer })).body);

    expect((await search('unit=907032')).records).toEqual([
      { type: 'workOrder', id: order.id, siteId: NORTH, unit: 'MSKU-907032-3', writes: 2, firstAt: before + 1_000, lastAt: before + 2_000 },
    ]);
    expect((await search(`operatorId=${CLERK.operatorId}`)).records.map((found) => found.id)).toEqual([order.id]);
    expect((await search(`deviceId=${kiosk.core.deviceId}&unit=907032`)).records.map((found) => [found.id, found.writes])).toEqual([[order.id, 1]]);
    expect((await search(`from=${before + 1_500}&to=${before + 10_000}`)).records.map((found) => found.id)).toEqual([order.id]);
    expect((await search(`deviceId=${cab.core.deviceId}&unit=907032`)).records).toEqual([]);
    expect((await call(world.server, 'GET', '/v1/audit/search', { token: reviewer })).status).toBe(400);
    expect((await call(world.server, 'GET', '/v1/audit/search?unit=9%25', { token: reviewer })).status).toBe(400);
    expect((await call(world.server, 'GET', '/v1/audit/search?unit=907032', { token: dispatcher })).status).toBe(403);
  });
});
