import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION, type DeviceSummary } from '../../protocol/wire.js';
import { DEFAULT_ATTENTION, type DeviceStanding, deviceAttention } from '../../server/fleet/attention.js';
import { INSPECTOR } from '../support/device.js';
import { noteCreate } from '../support/actions.js';
import { call } from '../support/server.js';
import { SyncError } from '../../main/core/sync/errors.js';
import { SyncWorld } from '../sync/support/world.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('when a device needs looking at (pure rule)', () => {
  const now = 100 * HOUR;
  const healthy: DeviceStanding = { enrolledAt: 0, revokedAt: null, flagged: false, lastSeenAt: now - MINUTE, pendingEntries: 0, failedEntries: 0, oldestPendingAgeMs: null, clockOffsetMs: 0 };

  it('names each reason in words, most urgent first, and none for a device that syncs well or was revoked', () => {
    expect(deviceAttention(healthy, now)).toEqual([]);
    expect(
      deviceAttention({ ...healthy, flagged: true, lastSeenAt: now - 9 * HOUR - 20 * MINUTE, pendingEntries: 41, oldestPendingAgeMs: 26 * HOUR, failedEntries: 1, clockOffsetMs: 2 * HOUR }, now),
    ).toEqual([
      { code: 'chain-flagged', message: expect.stringMatching(/^it sent a journal that does not continue/) },
      { code: 'not-synced', message: 'last synced 9 h 20 min ago' },
      { code: 'queue-stuck', message: '41 entries waiting to be sent, the oldest for 1 day 2 h' },
      { code: 'entries-failed', message: '1 entry the office rejected, waiting for an operator to retry or discard' },
      { code: 'clock-off', message: "its clock is 2 h behind the office's" },
    ]);
    expect(deviceAttention({ ...healthy, lastSeenAt: null, enrolledAt: now - 2 * 24 * HOUR }, now)).toEqual([{ code: 'never-synced', message: 'enrolled 2 days ago and never synced' }]);
    expect(deviceAttention({ ...healthy, flagged: true, failedEntries: 3, revokedAt: now - HOUR }, now)).toEqual([]);
  });

  it('holds back until each threshold is reached', () => {
    const { silentAfterMs, stuckAfterMs, clockOffsetMs } = DEFAULT_ATTENTION;
    expect(deviceAttention({ ...healthy, lastSeenAt: now - silentAfterMs + 1, pendingEntries: 5, oldestPendingAgeMs: stuckAfterMs - 1, clockOffsetMs: -clockOffsetMs }, now)).toEqual([]);
    expect(deviceAttention({ ...healthy, lastSeenAt: now - silentAfterMs, pendingEntries: 5, oldestPendingAgeMs: stuckAfterMs, clockOffsetMs: -clockOffsetMs - 1 }, now).map((reason) => reason.code)).toEqual([
      'not-synced',
      'queue-stuck',
      'clock-off',
    ]);
  });
});

describe('the fleet page', () => {
  let world: SyncWorld;
  beforeAll(async () => {
    world = await SyncWorld.start();
  });
  afterAll(async () => world?.close());

  async function fleet(): Promise<DeviceSummary[]> {
    const answer = await call<{ devices: DeviceSummary[] }>(world.server, 'GET', '/v1/admin/devices', { token: world.server.adminToken });
    expect(answer.status).toBe(200);
    return answer.body.devices;
  }

  it("shows what each device told with its last pull (build, queue, oldest wait) and the office's clock correction, and why it needs looking at", async () => {
    const cab = await world.addDevice('cab-fleet', { client: { appVersion: '0.4.2' } });
    const quiet = await world.addDevice('kiosk-quiet', { kind: 'kiosk' });
    const ofCab = async () => (await fleet()).find((device) => device.id === cab.core.deviceId)!;

    // Enrolled and pulled once: told of itself, nothing waiting, nobody has signed in on it yet.
    expect(await ofCab()).toMatchObject({ health: { appVersion: '0.4.2', pending: 0, failed: 0, oldestPendingAgeMs: null, reportedAt: world.clock.now() }, operator: null, attention: [] });

    // Two hours of work the device could only pull for (its pushes never got through).
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    cab.core.perform(noteCreate('reefer alarm on bay 4'));
    const pending = cab.core.status().outbox.pending;
    world.clock.advance(2 * HOUR);
    await cab.client.pull();
    expect(await ofCab()).toMatchObject({
      health: { pending, failed: 0, oldestPendingAgeMs: 2 * HOUR },
      attention: [{ code: 'queue-stuck', message: `${pending} entries waiting to be sent, the oldest for 2 h` }],
    });

    // The sync goes through: the office proved no clock correction, and nothing needs looking at.
    await cab.client.sync();
    expect(await ofCab()).toMatchObject({ health: { pending: 0, oldestPendingAgeMs: null }, clockOffsetMs: 0, attention: [] });
    // The session its pushes carried: who is on the device, since when.
    expect((await ofCab()).operator).toEqual({ operatorId: INSPECTOR.operatorId, since: expect.any(Number), signedIn: true });
    cab.core.signOut();
    await cab.client.sync();
    expect((await ofCab()).operator).toMatchObject({ operatorId: INSPECTOR.operatorId, signedIn: false });

    // The kiosk was not heard from since it enrolled, ten hours ago now.
    world.clock.advance(8 * HOUR);
    const kiosk = (await fleet()).find((device) => device.id === quiet.core.deviceId)!;
    expect(kiosk.attention).toEqual([{ code: 'not-synced', message: 'last synced 10 h ago' }]);
  });

  it('lets an administrator require an app build of one device: its pushes and pulls are refused with update-required, its work kept, until it runs that build', async () => {
    const old = await world.addDevice('cab-old-build', { client: { appVersion: '0.4.2' } });
    const other = await world.addDevice('cab-other-build', { client: { appVersion: '0.4.2' } });
    const require = (version: string | null, token = world.server.adminToken) =>
      call<DeviceSummary>(world.server, 'PUT', `/v1/admin/devices/${old.core.deviceId}/required-app-version`, { token, body: { version } });
    expect((await fleet()).find((device) => device.id === old.core.deviceId)).toMatchObject({ schemaVersion: CURRENT_SCHEMA_VERSION, requiredAppVersion: null });

    // Tried: a dispatcher, a version that is no build name, an unknown device.
    expect((await require('0.5.0', world.office.token)).status).toBe(403);
    expect((await require('latest')).status).toBe(400);
    expect((await call(world.server, 'PUT', '/v1/admin/devices/dev-unknown/required-app-version', { token: world.server.adminToken, body: { version: '0.5.0' } })).status).toBe(404);

    expect(await require('0.5.0')).toMatchObject({ status: 200, body: { requiredAppVersion: '0.5.0' } });
    old.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    old.core.perform(noteCreate('tyre pressure low on trailer 12'));
    const refused = await old.client.sync().then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SyncError);
    expect(refused).toMatchObject({ code: 'update-required', status: 426, requiredAppVersion: '0.5.0', message: expect.stringContaining('requires app 0.5.0 or later on this device (it runs 0.4.2)') });
    await expect(old.client.pull()).rejects.toMatchObject({ code: 'update-required' });
    expect(old.core.status().outbox.pending).toBeGreaterThan(0);
    // Another device on the same build syncs as before.
    await other.client.sync();

    // The updated app on the same files: it syncs, and what waited goes up.
    const updated = old.core.syncClient(old.transport, { appVersion: '0.5.1' });
    await updated.sync();
    expect(old.core.status().outbox.pending).toBe(0);
    expect((await fleet()).find((device) => device.id === old.core.deviceId)).toMatchObject({ health: { appVersion: '0.5.1' }, requiredAppVersion: '0.5.0' });
    expect(await require(null)).toMatchObject({ status: 200, body: { requiredAppVersion: null } });
  });
});

