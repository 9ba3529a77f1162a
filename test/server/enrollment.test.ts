import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner } from '../../protocol/crypto/ed25519.js';
import { hexToBytes } from '../../protocol/crypto/hash.js';
import { CURRENT_SCHEMA_VERSION, SCHEMA_VERSION_HEADER, enrollResponseSchema } from '../../protocol/wire.js';
import { TestChain, seedFrom } from '../support/chain-fixtures.js';
import { smallOrderSigner } from '../support/weak-keys.js';
import {
  NORTH,
  call,
  countRows,
  enrollDevice,
  enrollmentRequest,
  issueEnrollmentToken,
  seedOrganisation,
  startTestServer,
  type TestServer,
} from '../support/server.js';

let server: TestServer;
let dispatcherToken: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ dispatcherToken } = await seedOrganisation(server));
});
afterAll(async () => server?.close());

const enroll = (body: unknown) => call(server, 'POST', '/v1/enroll', { body });

describe('enrollment', () => {
  it('registers the device key with a one-time token and hands out a credential that works for sync', async () => {
    const device = new TestChain('dev-enroll-ok');
    const token = await issueEnrollmentToken(server, NORTH, 'kiosk');
    const answer = await enroll(enrollmentRequest(token, device.deviceId, device.deviceSigner, 'kiosk'));
    expect(answer.status).toBe(201);
    const enrolled = enrollResponseSchema.parse(answer.body);
    expect(enrolled).toMatchObject({ deviceId: 'dev-enroll-ok', kind: 'kiosk', siteId: NORTH, organisationId: 'org-1' });
    const pull = await call(server, 'POST', '/v1/sync/pull', { token: enrolled.credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION } });
    expect(pull.status).toBe(200);
  });

  it('spends the token: a second device cannot enroll with it', async () => {
    const token = await issueEnrollmentToken(server, NORTH, 'cab');
    const first = new TestChain('dev-enroll-first');
    const second = new TestChain('dev-enroll-second');
    expect((await enroll(enrollmentRequest(token, first.deviceId, first.deviceSigner))).status).toBe(201);
    const reused = await enroll(enrollmentRequest(token, second.deviceId, second.deviceSigner));
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('enrollment-token-used');
  });

  it('refuses an expired token, an unknown token, a token for another kind of device and a proof by another key', async () => {
    const device = new TestChain('dev-enroll-refused');
    const rowsBefore = await countRows(server.database);

    const shortLived = await issueEnrollmentToken(server, NORTH, 'cab', 60_000);
    server.clock.advance(60_001);
    const expired = await enroll(enrollmentRequest(shortLived, device.deviceId, device.deviceSigner));
    expect([expired.status, expired.body.code]).toEqual([401, 'enrollment-token-expired']);

    const unknown = await enroll(enrollmentRequest('wpe_not-a-token-we-issued', device.deviceId, device.deviceSigner));
    expect([unknown.status, unknown.body.code]).toEqual([401, 'enrollment-token-invalid']);

    const kioskToken = await issueEnrollmentToken(server, NORTH, 'kiosk');
    const wrongKind = await enroll(enrollmentRequest(kioskToken, device.deviceId, device.deviceSigner, 'cab'));
    expect([wrongKind.status, wrongKind.body.code]).toEqual([400, 'enrollment-kind-mismatch']);

    const impostor = createSigner(seedFrom('someone else'), 'node');
    const request = enrollmentRequest(kioskToken, device.deviceId, device.deviceSigner, 'kiosk');
    const forged = await enroll({ ...request, proof: enrollmentRequest(kioskToken, device.deviceId, impostor, 'kiosk').proof });
    expect([forged.status, forged.body.code]).toEqual([400, 'bad-enrollment-proof']);

    // Only the two tokens issued above were written; no device.
    const rowsAfter = await countRows(server.database);
    expect(rowsAfter.devices).toBe(rowsBefore.devices);
    expect(rowsAfter.enrollment_tokens).toBe(rowsBefore.enrollment_tokens + 2);
    // The kiosk token was not spent by the refused attempts.
    expect((await enroll(request)).status).toBe(201);
  });

  it.each([
    ['the identity point', '0100000000000000000000000000000000000000000000000000000000000000', /small order/],
    ['a point of order 8', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', /small order/],
    ['the identity point written with y = p + 1', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', /not canonically encoded/],
  ])('refuses %s as a device key (weak-public-key, forged proof and all) without spending the token', async (_what, keyHex, reason) => {
    const device = new TestChain(`dev-weak-${keyHex.slice(0, 8)}`);
    const token = await issueEnrollmentToken(server, NORTH, 'cab');
    const rowsBefore = await countRows(server.database);

    const refused = await enroll(enrollmentRequest(token, device.deviceId, smallOrderSigner(hexToBytes(keyHex))));

    expect([refused.status, refused.body.code]).toEqual([400, 'weak-public-key']);
    expect(refused.body.message).toMatch(reason);
    expect((await countRows(server.database)).devices).toBe(rowsBefore.devices);
    // The token was not spent: the device enrolls its genuine key with it.
    expect((await enroll(enrollmentRequest(token, device.deviceId, device.deviceSigner))).status).toBe(201);
  });

  it('refuses a second enrollment of an enrolled device id', async () => {
    const device = new TestChain('dev-enroll-twice');
    await enrollDevice(server, device);
    const token = await issueEnrollmentToken(server, NORTH, 'cab');
    const again = await enroll(enrollmentRequest(token, device.deviceId, device.deviceSigner));
    expect([again.status, again.body.code]).toEqual([409, 'device-already-enrolled']);
  });

  it('only administrators issue tokens, and only for sites of their organisation', async () => {
    const asDispatcher = await call(server, 'POST', '/v1/admin/enrollment-tokens', { token: dispatcherToken, body: { siteId: NORTH, kind: 'cab' } });
    expect([asDispatcher.status, asDispatcher.body.code]).toEqual([403, 'forbidden']);
    const anonymous = await call(server, 'POST', '/v1/admin/enrollment-tokens', { body: { siteId: NORTH, kind: 'cab' } });
    expect(anonymous.status).toBe(401);
    const noSite = await call(server, 'POST', '/v1/admin/enrollment-tokens', { token: server.adminToken, body: { siteId: 'site-nowhere', kind: 'cab' } });
    expect(noSite.status).toBe(404);
  });
});

describe('revoked devices', () => {
  it('are refused on every sync endpoint and cannot enroll again', async () => {
    const device = new TestChain('dev-revoked');
    const { credential } = await enrollDevice(server, device);
    device.openSession('op-ines');
    const revoke = await call(server, 'POST', `/v1/admin/devices/${device.deviceId}/revoke`, { token: server.adminToken });
    expect(revoke.status).toBe(200);
    expect(revoke.body.revokedAt).toBe(server.clock.now());

    const rowsBefore = await countRows(server.database);
    const pushed = await call(server, 'POST', '/v1/sync/push', {
      token: credential,
      body: { schemaVersion: CURRENT_SCHEMA_VERSION, deviceId: device.deviceId, sentAt: server.clock.now(), entries: device.entries },
    });
    const pulled = await call(server, 'POST', '/v1/sync/pull', { token: credential, body: { schemaVersion: CURRENT_SCHEMA_VERSION } });
    const events = await fetch(`${server.url}/v1/sync/events`, {
      headers: { authorization: `Bearer ${credential}`, [SCHEMA_VERSION_HEADER]: String(CURRENT_SCHEMA_VERSION) },
    });
    for (const answer of [pushed, pulled, { status: events.status, body: await events.json() }]) {
      expect(answer.status).toBe(403);
      expect(answer.body.code).toBe('device-revoked');
      expect(answer.body.message).toMatch(/revoked/);
    }
    const token = await issueEnrollmentToken(server, NORTH, 'cab');
    const again = await enroll(enrollmentRequest(token, device.deviceId, device.deviceSigner));
    expect([again.status, again.body.code]).toEqual([403, 'device-revoked']);
    expect((await countRows(server.database)).journal_entries).toBe(rowsBefore.journal_entries);
  });

  it('an unknown or missing credential is a 401', async () => {
    const body = { schemaVersion: CURRENT_SCHEMA_VERSION };
    const unknown = await call(server, 'POST', '/v1/sync/pull', { token: 'wpd_not-a-credential-we-issued', body });
    const missing = await call(server, 'POST', '/v1/sync/pull', { body });
    expect([unknown.status, unknown.body.code]).toEqual([401, 'unauthorized']);
    expect([missing.status, missing.body.code]).toEqual([401, 'unauthorized']);
  });
});
