import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalEntries } from '../../server/db/schema.js';
import { CLERK, INSPECTOR } from '../support/device.js';
import { call, NORTH } from '../support/server.js';
import { type FieldDevice, SyncWorld } from '../sync/support/world.js';

/**
 * The office's side of PIN policy and sign-in pauses, with a real device core syncing over HTTP:
 * a site's minimum PIN length is set through the admin API, holds when PINs are set, and reaches
 * the site's devices; the signed record of sign-in pauses a device journals is accepted and kept.
 */
let world: SyncWorld;
let kiosk: FieldDevice;

beforeAll(async () => {
  world = await SyncWorld.start();
  kiosk = await world.addDevice('kiosk-pins');
});
afterAll(async () => {
  await world?.close();
});

const admin = (method: string, path: string, body: unknown) => call(world.server, method, path, { token: world.server.adminToken, body });

describe("a site's PIN minimum", () => {
  it('is 4 digits unless the admin sets it, and is one of 4 to 12', async () => {
    expect(kiosk.core.sessions.pinMinLength).toBe(4);
    const created = await admin('POST', '/v1/admin/sites', { id: 'site-east', organisationId: 'org-1', name: 'East yard' });
    expect(created).toMatchObject({ status: 201, body: { id: 'site-east', pinMinLength: 4 } });
    const strict = await admin('POST', '/v1/admin/sites', { id: 'site-west', organisationId: 'org-1', name: 'West yard', pinMinLength: 8 });
    expect(strict).toMatchObject({ status: 201, body: { pinMinLength: 8 } });
    for (const pinMinLength of [3, 13, 6.5]) {
      const refused = await admin('PATCH', '/v1/admin/sites/site-east', { pinMinLength });
      expect(refused).toMatchObject({ status: 400, body: { code: 'invalid-request', message: expect.stringContaining('pinMinLength') } });
    }
  });

  it('refuses, with a clear 400, an operator PIN shorter than it, and reaches the devices with their next pull', async () => {
    expect(await admin('PATCH', `/v1/admin/sites/${NORTH}`, { pinMinLength: 6 })).toMatchObject({ status: 200, body: { id: NORTH, pinMinLength: 6 } });

    const tooShort = { status: 400, body: { code: 'invalid-request', message: 'a PIN at site North yard must have at least 6 digits; this one has 5' } };
    const newClerk = { id: 'op-nell', siteId: NORTH, badgeId: 'B555', displayName: 'Nell New', role: 'gate-clerk' };
    expect(await admin('POST', '/v1/admin/operators', { ...newClerk, pin: '24680' })).toMatchObject(tooShort);
    expect(await admin('PATCH', `/v1/admin/operators/${CLERK.operatorId}`, { pin: '13579' })).toMatchObject(tooShort);
    expect(await admin('POST', '/v1/admin/operators', { ...newClerk, pin: '246802' })).toMatchObject({ status: 201 });

    await kiosk.client.pull();
    expect(kiosk.core.sessions.pinMinLength).toBe(6);
    expect(kiosk.core.signIn('B555', '246802').operatorId).toBe('op-nell');
    // A PIN set before the minimum was raised still signs in: the office cannot tell its length, the operator can change it.
    expect(kiosk.core.signIn(CLERK.badgeId, CLERK.pin).operatorId).toBe(CLERK.operatorId);
    kiosk.core.signOut();
  });
});

describe('sign-in pauses', () => {
  it('reach the office in the signed journal, which it accepts and keeps', async () => {
    for (const pin of ['0000', '1111', '2222', '3333', '4444']) expect(() => kiosk.core.signIn('B999', pin)).toThrow(/wrong badge or PIN/);
    kiosk.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const audit = kiosk.core.journal().find((entry) => entry.body.kind === 'sign-in.paused')!;
    expect(audit.body).toMatchObject({ pauses: [{ badgeId: 'B999', failedAttempts: 5, pausedForMs: 30_000 }] });

    const pushed = await kiosk.client.push();
    expect(pushed.failed).toEqual([]);
    expect(pushed.acknowledged).toContain(audit.body.seq);
    const [kept] = await world.server.database.db
      .select({ hash: journalEntries.hash, kind: journalEntries.kind, operatorId: journalEntries.operatorId })
      .from(journalEntries)
      .where(and(eq(journalEntries.deviceId, kiosk.core.deviceId), eq(journalEntries.seq, audit.body.seq)));
    expect(kept).toEqual({ hash: audit.hash, kind: 'sign-in.paused', operatorId: INSPECTOR.operatorId });
  });
});
