import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION, SCHEMA_VERSION_HEADER } from '../../protocol/wire.js';
import { TestChain } from '../support/chain-fixtures.js';
import { NORTH, call, changesFrom, enrollDevice, openEventStream, seedOrganisation, startTestServer, type TestServer } from '../support/server.js';

/**
 * Revoking a device ends its open live-event streams on every office instance at once (the
 * revocation is a database notification committed with it), and no change reaches the revoked
 * device after that, even while the site's changes are being written.
 */
let server: TestServer;
let peer: TestServer;
let dispatcherToken: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ dispatcherToken } = await seedOrganisation(server));
  peer = await server.startPeer();
});
afterAll(async () => server?.close());

async function officeEdit(on: TestServer, workOrderId: string, statusNote: string): Promise<void> {
  const answer = await call(on, 'PATCH', `/v1/office/work-orders/${workOrderId}`, { token: dispatcherToken, body: { set: { statusNote } } });
  if (answer.status !== 200) throw new Error(`office edit: ${answer.status} ${JSON.stringify(answer.body)}`);
}

describe('revoking a device', () => {
  it('ends its event streams on every instance with a final "revoked" event while the site is busy, and refuses it from then on', async () => {
    const revokedChain = new TestChain('dev-revoked-live');
    const { credential } = await enrollDevice(server, revokedChain);
    const bystander = await enrollDevice(server, new TestChain('dev-revoked-bystander'));
    const created = await call(server, 'POST', '/v1/office/work-orders', { token: dispatcherToken, body: { id: 'wo-revoke-race', siteId: NORTH, title: 'Lights' } });
    expect(created.status).toBe(201);

    const onPeer = await openEventStream(peer, credential);
    const onPrimary = await openEventStream(server, credential);
    const bystanderStream = await openEventStream(peer, bystander.credential);
    try {
      for (const stream of [onPeer, onPrimary, bystanderStream]) await stream.next('ready');
      // The streams hear the site's changes before the revocation.
      server.clock.ms += 1_000;
      await officeEdit(server, 'wo-revoke-race', 'before');
      // The work order's creation may still be on its way to a stream that opened just after it.
      for (const stream of [onPeer, onPrimary]) expect(await changesFrom(stream, server.clock.now())).toEqual({ siteId: NORTH, at: server.clock.now(), by: { devices: [], office: true } });

      // Dispatchers on both instances keep editing the site's work order while the admin revokes.
      let revoking = true;
      let editsDuringRevocation = 0;
      const writer = (async () => {
        for (let i = 0; i < 200 && revoking; i++) {
          await officeEdit(i % 2 ? peer : server, 'wo-revoke-race', `during ${i}`);
          editsDuringRevocation++;
        }
      })();
      server.clock.ms += 1_000;
      const revokedAt = server.clock.now();
      const revoke = await call(server, 'POST', `/v1/admin/devices/${revokedChain.deviceId}/revoke`, { token: server.adminToken });
      expect(revoke.status).toBe(200);
      expect(revoke.body.revokedAt).toBe(revokedAt);
      revoking = false;
      await writer;
      // Changes committed after the revocation.
      server.clock.ms += 1_000;
      const afterAt = server.clock.now();
      await officeEdit(peer, 'wo-revoke-race', 'after, on the peer');
      await officeEdit(server, 'wo-revoke-race', 'after, on the primary');

      for (const stream of [onPeer, onPrimary]) {
        // Ends by itself (10 s is only a hang guard): the revocation is pushed, not polled.
        const events = await stream.untilEnd(10_000);
        expect(events.at(-1)).toEqual({ event: 'revoked', data: { siteId: NORTH, at: revokedAt } });
        expect(events.slice(0, -1).every((received) => received.event === 'changes' && received.data.at < afterAt)).toBe(true);
      }
      // Only the revoked device's streams ended: the other device on the peer hears the later edits.
      expect(editsDuringRevocation).toBeGreaterThan(0);
      let heard = await bystanderStream.next('changes');
      for (let earlier = 0; earlier <= editsDuringRevocation && heard.data.at < afterAt; earlier++) heard = await bystanderStream.next('changes');
      expect(heard.data).toEqual({ siteId: NORTH, at: afterAt, by: { devices: [], office: true } });

      for (const instance of [server, peer]) {
        const pulled = await call(instance, 'POST', '/v1/sync/pull', { token: credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION } });
        expect([pulled.status, pulled.body.code]).toEqual([403, 'device-revoked']);
        const reopened = await fetch(`${instance.url}/v1/sync/events`, {
          headers: { authorization: `Bearer ${credential}`, [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION) },
        });
        expect([reopened.status, ((await reopened.json()) as { code: string }).code]).toEqual([403, 'device-revoked']);
      }
    } finally {
      for (const stream of [onPeer, onPrimary, bystanderStream]) stream.close();
    }
  });
});
