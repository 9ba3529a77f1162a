import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSyncValue } from '../../db/queries/sync.js';
import { SyncError } from '../../main/core/sync/errors.js';
import type { SyncTransport } from '../../main/core/sync/transport.js';
import { bytesToHex } from '../../protocol/crypto/hash.js';
import { CLERK, INSPECTOR } from '../support/device.js';
import { call, issueEnrollmentToken, NORTH, SOUTH } from '../support/server.js';
import { IDENTITY_POINT } from '../support/weak-keys.js';
import { scanDirectory } from '../storage/files.js';
import { dirname } from 'node:path';
import { SyncWorld } from './support/world.js';

let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

async function expectSyncError(attempt: Promise<unknown>, code: string): Promise<SyncError> {
  const error = await attempt.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SyncError);
  expect((error as SyncError).code).toBe(code);
  return error as SyncError;
}

describe('enrollment from the device', () => {
  it('registers the device key, keeps the credential, office key and site in the encrypted database, and the office lists the device', async () => {
    const device = world.openDevice('cab-enroll');
    const token = await issueEnrollmentToken(world.server, SOUTH, 'cab');

    const info = await device.core.enroll({ transport: world.http(), token, kind: 'cab', label: 'Truck 12' });

    expect(info).toEqual({
      deviceId: device.core.deviceId,
      kind: 'cab',
      siteId: SOUTH,
      organisationId: 'org-1',
      serverPublicKey: bytesToHex(world.server.serverSigner.publicKey),
      enrolledAt: world.clock.now(),
    });
    expect(device.core.enrollment()).toEqual(info);
    const stored = readSyncValue(device.core.database.db, 'enrollment') as { credential: string };
    expect(stored.credential).toMatch(/^wpd_/);
    // The credential is a bearer secret: it must not be readable from the files on disk.
    device.core.database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    expect(scanDirectory(dirname(device.path), [stored.credential, SOUTH])).toEqual([]);

    const devices = await call(world.server, 'GET', '/v1/admin/devices', { token: world.server.adminToken });
    expect(devices.body.devices).toContainEqual(
      expect.objectContaining({ id: device.core.deviceId, siteId: SOUTH, kind: 'cab', label: 'Truck 12', revokedAt: null }),
    );
    device.core.close();
  });

  it('keeps an enrolled device enrolled: a second enrollment is refused on the device without spending the token', async () => {
    const device = world.openDevice('cab-twice');
    await device.core.enroll({ transport: world.http(), token: await issueEnrollmentToken(world.server, NORTH, 'cab'), kind: 'cab' });
    const before = device.core.enrollment();
    const spare = await issueEnrollmentToken(world.server, SOUTH, 'cab');

    await expectSyncError(device.core.enroll({ transport: world.http(), token: spare, kind: 'cab' }), 'already-enrolled');

    expect(device.core.enrollment()).toEqual(before);
    // The spare token still works for another device.
    const other = world.openDevice('cab-spare');
    await expect(other.core.enroll({ transport: world.http(), token: spare, kind: 'cab' })).resolves.toMatchObject({ siteId: SOUTH });
    device.core.close();
    other.core.close();
  });

  it('stores nothing when the office refuses the token (used, wrong kind, unknown, malformed)', async () => {
    const first = world.openDevice('kiosk-first');
    const token = await issueEnrollmentToken(world.server, NORTH, 'kiosk');
    await first.core.enroll({ transport: world.http(), token, kind: 'kiosk' });

    const second = world.openDevice('kiosk-second');
    await expectSyncError(second.core.enroll({ transport: world.http(), token, kind: 'kiosk' }), 'enrollment-token-used');
    const cabToken = await issueEnrollmentToken(world.server, NORTH, 'cab');
    await expectSyncError(second.core.enroll({ transport: world.http(), token: cabToken, kind: 'kiosk' }), 'enrollment-kind-mismatch');
    await expectSyncError(second.core.enroll({ transport: world.http(), token: 'wpe_this-token-was-never-issued', kind: 'kiosk' }), 'enrollment-token-invalid');
    await expectSyncError(second.core.enroll({ transport: world.http(), token: 'short', kind: 'kiosk' }), 'invalid-request');

    expect(second.core.enrollment()).toBeNull();
    expect(readSyncValue(second.core.database.db, 'enrollment')).toBeNull();
    first.core.close();
    second.core.close();
  });

  it('refuses an enrollment answer whose receipt key is of small order, and keeps nothing of it', async () => {
    const device = world.openDevice('cab-weak-office');
    const http = world.http();
    // An office (or whatever answers in its place) handing out the identity point as its receipt key.
    const weakOffice: SyncTransport = {
      async post(path, body, headers) {
        const answer = await http.post(path, body, headers);
        return { ...answer, body: { ...(answer.body as object), serverPublicKey: bytesToHex(IDENTITY_POINT) } };
      },
      events: (path, headers, handlers) => http.events(path, headers, handlers),
    };

    const error = await expectSyncError(
      device.core.enroll({ transport: weakOffice, token: await issueEnrollmentToken(world.server, NORTH, 'cab'), kind: 'cab' }),
      'bad-response',
    );

    expect(error.message).toMatch(/receipt key is a point of small order/);
    expect(device.core.enrollment()).toBeNull();
    expect(readSyncValue(device.core.database.db, 'enrollment')).toBeNull();
    device.core.close();
  });

  it('refuses to sync before enrollment, and after it brings the site operators so they can sign in offline', async () => {
    const device = world.openDevice('kiosk-new');
    const http = world.http();
    await expectSyncError(device.core.syncClient(http).sync(), 'not-enrolled');
    expect(() => device.core.signIn(CLERK.badgeId, CLERK.pin)).toThrow(/^wrong badge or PIN$/);

    await device.core.enroll({ transport: http, token: await issueEnrollmentToken(world.server, NORTH, 'kiosk'), kind: 'kiosk' });
    const pulled = await device.core.syncClient(http).pull();
    expect(pulled.operators).toBe(2);

    // Offline from here on: the PIN verifiers came with the pull.
    expect(() => device.core.signIn(CLERK.badgeId, '0000')).toThrow(/^wrong badge or PIN$/);
    expect(device.core.signIn(CLERK.badgeId, CLERK.pin).operatorId).toBe(CLERK.operatorId);
    expect(device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin).operatorId).toBe(INSPECTOR.operatorId);
    device.core.close();
  });
});
