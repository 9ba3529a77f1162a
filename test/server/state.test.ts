import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_BUCKETS } from '../../protocol/state-hash.js';
import { CURRENT_SCHEMA_VERSION, MAX_FETCH_RECORDS, MAX_STATE_EXCLUDED, stateSummarySchema } from '../../protocol/wire.js';
import { TestChain } from '../support/chain-fixtures.js';
import { call, enrollDevice, NORTH, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let dispatcherToken: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ dispatcherToken } = await seedOrganisation(server));
});
afterAll(async () => server?.close());

const v = CURRENT_SCHEMA_VERSION;
const ENDPOINTS = [
  ['/v1/sync/state', { schemaVersion: v, closedBefore: 0, exclude: [] }],
  ['/v1/sync/state/buckets', { schemaVersion: v, closedBefore: 0, exclude: [], buckets: [0] }],
  ['/v1/sync/records', { schemaVersion: v, keys: [{ type: 'workOrder', id: 'wo-1' }] }],
] as const;

describe('state check endpoints', () => {
  it.each(ENDPOINTS)('%s answers an enrolled device, and refuses one without a credential, a revoked one and an outdated app', async (path, body) => {
    const chain = new TestChain(`dev-state-${path.split('/').at(-1)}`);
    const { credential } = await enrollDevice(server, chain);

    expect((await call(server, 'POST', path, { token: credential, body })).status).toBe(200);
    expect(await call(server, 'POST', path, { body })).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    expect(await call(server, 'POST', path, { token: credential, body: { ...body, schemaVersion: 0 } })).toMatchObject({ status: 426, body: { code: 'update-required' } });
    await call(server, 'POST', `/v1/admin/devices/${chain.deviceId}/revoke`, { token: server.adminToken });
    expect(await call(server, 'POST', path, { token: credential, body })).toMatchObject({ status: 403, body: { code: 'device-revoked' } });
  });

  it('refuses requests beyond their bounds with a 400 that names the field', async () => {
    const { credential } = await enrollDevice(server, new TestChain('dev-state-bounds'));
    const key = (i: number) => ({ type: 'gateEvent', id: `gate-${i}` });
    const tooMany = [
      ['/v1/sync/state', { schemaVersion: v, closedBefore: 0, exclude: Array.from({ length: MAX_STATE_EXCLUDED + 1 }, (_, i) => key(i)) }, 'exclude'],
      ['/v1/sync/state/buckets', { schemaVersion: v, closedBefore: 0, exclude: [], buckets: [STATE_BUCKETS] }, 'buckets.0'],
      ['/v1/sync/records', { schemaVersion: v, keys: Array.from({ length: MAX_FETCH_RECORDS + 1 }, (_, i) => key(i)) }, 'keys'],
      ['/v1/sync/records', { schemaVersion: v, keys: [] }, 'keys'],
    ] as const;
    for (const [path, body, field] of tooMany) {
      expect(await call(server, 'POST', path, { token: credential, body })).toMatchObject({
        status: 400,
        body: { code: 'invalid-request', message: expect.stringContaining(field) },
      });
    }
  });

  it('hashes the site’s records once each, whatever the page size the office reads them in', async () => {
    // More records than one page of the office's read (1,000), so the hash spans pages.
    for (let i = 0; i < 1_050; i++) {
      const answer = await call(server, 'POST', '/v1/office/work-orders', { token: dispatcherToken, body: { id: `wo-state-${i}`, siteId: NORTH, title: `Check unit ${i}`, status: 'open' } });
      expect(answer.status).toBe(201);
    }
    const { credential } = await enrollDevice(server, new TestChain('dev-state-pages'));
    const summary = stateSummarySchema.parse((await call(server, 'POST', '/v1/sync/state', { token: credential, body: ENDPOINTS[0][1] })).body);
    const listed = await call(server, 'POST', '/v1/sync/state/buckets', {
      token: credential,
      body: { ...ENDPOINTS[0][1], buckets: Array.from({ length: STATE_BUCKETS }, (_, i) => i) },
    });
    const ids = (listed.body as { records: { id: string }[] }).records.map((record) => record.id);

    expect(summary.records).toBeGreaterThanOrEqual(1_050);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(summary.records);
  });
});
