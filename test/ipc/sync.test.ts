import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeviceSync } from '../../main/core/sync/device-sync.js';
import { createIpcHandler, type IpcHandler } from '../../main/ipc/handlers.js';
import type { IpcResult } from '../../main/ipc/contract.js';
import { storeFootprint } from '../support/core-assertions.js';
import { CLERK, INSPECTOR, openTestDevice, SeededRandomness } from '../support/device.js';
import { noteCreate, update } from '../support/actions.js';
import { FakeTimers } from '../sync/support/timers.js';
import { type FieldDevice, SyncWorld } from '../sync/support/world.js';
import { call, NORTH } from '../support/server.js';

/**
 * The sync methods of the IPC contract as the renderer calls them: the status badge, "sync now",
 * the conflict inbox and the failed list, against a real office. Malformed calls are refused with
 * a clear error and write nothing; timer-driven calls do not keep an idle session open.
 */
async function expectValue<T = any>(result: Promise<IpcResult>): Promise<T> {
  const settled = await result;
  if (!settled.ok) throw new Error(`expected success, got ${settled.error.code}: ${settled.error.message}`);
  return settled.value as T;
}

describe('on a device that does not sync', () => {
  it('reports sync as off with the local counts, and refuses "sync now" with the reason', async () => {
    const device = openTestDevice();
    const handle = createIpcHandler(device.core, { unenrolledSiteId: 'site-oak' });
    try {
      expect(await expectValue(handle('sync.status', {}))).toMatchObject({ active: false, enrollment: null, pending: 0, failed: 0, unseenConflicts: 0, revision: 0 });
      expect(await handle('sync.now', {})).toEqual({ ok: false, error: expect.objectContaining({ code: 'not-signed-in' }) });
      await expectValue(handle('session.signIn', { badgeId: CLERK.badgeId, pin: CLERK.pin }));
      // The sign-in's session entry waits to go up, but it is nobody's change.
      expect(await expectValue(handle('sync.status', {}))).toMatchObject({ active: false, pending: 1, changesWaiting: 0 });
      await expectValue(handle('records.perform', noteCreate('gate 3 camera down')));
      expect(await expectValue(handle('sync.status', {}))).toMatchObject({ pending: 2, changesWaiting: 1 });
      expect(await handle('sync.now', {})).toEqual({
        ok: false,
        error: { code: 'sync-unavailable', message: expect.stringMatching(/not enrolled with an office/) },
      });
    } finally {
      device.core.close();
    }
  });

  it('lets the idle lock run while the app only polls the session and the sync status', async () => {
    const device = openTestDevice();
    const handle = createIpcHandler(device.core, { unenrolledSiteId: 'site-oak' });
    try {
      await expectValue(handle('session.signIn', { badgeId: CLERK.badgeId, pin: CLERK.pin }));
      for (let minute = 0; minute < 16; minute++) {
        device.clock.advance(60_000);
        await expectValue(handle('sync.status', {}));
        await expectValue(handle('session.current', {}));
      }
      expect(await expectValue(handle('session.current', {}))).toBeNull();
      expect(device.core.journal().at(-1)?.body).toMatchObject({ kind: 'session.close', reason: 'idle-lock' });

      // Reading records is the operator at work: that keeps the session open.
      await expectValue(handle('session.signIn', { badgeId: CLERK.badgeId, pin: CLERK.pin }));
      for (let minute = 0; minute < 16; minute++) {
        device.clock.advance(60_000);
        await expectValue(handle('records.list', { recordType: 'gateEvent' }));
      }
      expect(await expectValue(handle('session.current', {}))).toMatchObject({ operatorId: CLERK.operatorId });
    } finally {
      device.core.close();
    }
  });
});

describe('on an enrolled device', () => {
  let world: SyncWorld;
  let kiosk: FieldDevice;
  let sync: DeviceSync;
  let handle: IpcHandler;

  beforeAll(async () => {
    world = await SyncWorld.start();
    kiosk = await world.addDevice('kiosk-ipc');
    // Not started: only the calls under test sync (no timers, no live stream).
    sync = new DeviceSync(kiosk.core, { transport: kiosk.transport, clock: world.clock, random: new SeededRandomness('ipc-daemon'), timers: new FakeTimers(world.clock) });
    handle = createIpcHandler(kiosk.core, { unenrolledSiteId: 'site-oak', sync: () => sync });
  });
  afterAll(async () => world?.close());

  beforeEach(async () => {
    await expectValue(handle('session.signIn', { badgeId: INSPECTOR.badgeId, pin: INSPECTOR.pin }));
  });

  async function expectRefused(method: string, input: unknown, code: string, message: RegExp): Promise<void> {
    const before = storeFootprint(kiosk.core);
    expect(await handle(method, input)).toEqual({ ok: false, error: expect.objectContaining({ code, message: expect.stringMatching(message) }) });
    expect(storeFootprint(kiosk.core)).toEqual(before);
  }

  it('"sync now" sends what waits and answers with the status after it: nothing pending, when, and a new revision', async () => {
    await expectValue(handle('records.perform', noteCreate('tire pressure low, front left')));
    const before = await expectValue(handle('sync.status', {}));
    expect(before).toMatchObject({ active: true, enrollment: { siteId: 'site-north', organisationId: 'org-1', kind: 'kiosk' }, syncing: false });
    expect(before.pending).toBeGreaterThan(0);

    world.clock.advance(1_000);
    const after = await expectValue(handle('sync.now', {}));
    expect(after).toMatchObject({ pending: 0, failed: 0, lastError: null, lastSuccessAt: world.clock.now(), updateRequired: null });
    expect(after.revision).toBeGreaterThan(before.revision);
    expect(await expectValue(handle('sync.status', {}))).toEqual(after);
  });

  it('lists a conflict with what was sent and what the office kept, and marks it seen once', async () => {
    const order = await world.office.createWorkOrder({ title: 'Reefer check', statusNote: 'new' });
    await expectValue(handle('sync.now', {}));
    world.clock.advance(30_000);
    await expectValue(handle('records.perform', update('workOrder', order.id, { statusNote: 'brakes checked' })));
    world.clock.advance(30_000);
    await world.office.updateWorkOrder(order.id, { statusNote: 'waiting for parts' });
    const status = await expectValue(handle('sync.now', {}));
    expect(status.unseenConflicts).toBe(1);

    const [conflict] = await expectValue(handle('conflicts.list', { unseenOnly: true }));
    expect(conflict).toMatchObject({
      recordType: 'workOrder',
      recordLabel: 'Work order',
      recordId: order.id,
      recordTitle: 'Work order “Reefer check”',
      outcome: 'merged',
      fieldOutcomes: [{ field: 'statusNote', outcome: 'superseded' }],
      yours: true,
      local: { action: 'update', ops: [{ op: 'set', field: 'statusNote', value: 'brakes checked' }] },
      serverKept: { fields: { statusNote: 'waiting for parts' }, deleted: false },
      seenAt: null,
    });
    // The office's reason, kept on the device for the record, is said once, not again after the field's outcome.
    const [stored] = kiosk.core.conflicts();
    expect(stored?.whatHappened).toMatch(/statusNote: superseded/);
    expect(stored?.whatHappened.split('later concurrent change')).toHaveLength(2);
    expect(await expectValue(handle('conflicts.markSeen', { id: conflict.id }))).toEqual({ marked: true });
    expect(await expectValue(handle('conflicts.markSeen', { id: conflict.id }))).toEqual({ marked: false });
    expect(await expectValue(handle('conflicts.list', { unseenOnly: true }))).toEqual([]);
    expect(await expectValue(handle('conflicts.list', {}))).toContainEqual(expect.objectContaining({ id: conflict.id, seenAt: world.clock.now() }));
    expect((await expectValue(handle('sync.status', {}))).unseenConflicts).toBe(0);
  });

  it('lists a rejected change with its reason and author; retry sends it again, discard leaves a signed entry', async () => {
    const rejectOne = async (title: string): Promise<number> => {
      const order = await world.office.createWorkOrder({ title, assignee: null });
      await expectValue(handle('sync.now', {}));
      await world.office.updateWorkOrder(order.id, { assignee: INSPECTOR.operatorId });
      const { seq } = await expectValue(handle('records.perform', update('workOrder', order.id, { assignee: CLERK.operatorId })));
      expect((await expectValue(handle('sync.now', {}))).failed).toBe(1);
      return seq;
    };

    const retried = await rejectOne('Chassis swap');
    expect(await expectValue(handle('failed.list', {}))).toEqual([
      expect.objectContaining({
        seq: retried,
        recordLabel: 'Work order',
        action: 'update',
        ops: [{ op: 'set', field: 'assignee', value: CLERK.operatorId }],
        operatorId: INSPECTOR.operatorId,
        operatorName: INSPECTOR.displayName,
        reason: 'policy-rejected',
        message: expect.stringMatching(/belongs to the office/),
      }),
    ]);
    const retry = await expectValue(handle('failed.retry', { seq: retried }));
    expect(retry.seq).toBeGreaterThan(retried);
    expect(await expectValue(handle('failed.list', {}))).toEqual([]);
    expect(await expectValue(handle('sync.now', {}))).toMatchObject({ pending: 0, failed: 0 });

    const discarded = await rejectOne('Axle check');
    const { discardSeq } = await expectValue(handle('failed.discard', { seq: discarded }));
    expect(kiosk.core.journal().at(-1)?.body).toMatchObject({ kind: 'entry.discard', seq: discardSeq, discardedSeq: discarded, operatorId: INSPECTOR.operatorId });
    expect(await expectValue(handle('failed.list', {}))).toEqual([]);
    expect(await expectValue(handle('sync.now', {}))).toMatchObject({ pending: 0, failed: 0 });
  });

  it('refuses malformed calls with the field named, and entries or items that are not there, writing nothing', async () => {
    for (const input of [{}, { id: 0 }, { id: -3 }, { id: 1.5 }, { id: '1' }, { id: null }, { id: 1, extra: true }, { id: Number.MAX_SAFE_INTEGER + 2 }]) {
      await expectRefused('conflicts.markSeen', input, 'invalid-input', /^(id|the input): /);
    }
    await expectRefused('conflicts.markSeen', { id: 999_999 }, 'invalid-input', /there is no conflict 999999 in your inbox/);
    await expectRefused('conflicts.list', { unseenOnly: 'yes' }, 'invalid-input', /unseenOnly/);
    for (const method of ['failed.retry', 'failed.discard']) {
      for (const input of [{}, { seq: 0 }, { seq: 2.5 }, { seq: '7' }, { seq: 1, again: true }, [], null]) {
        await expectRefused(method, input, 'invalid-input', /^(seq|the input): /);
      }
      // Entry 1 exists but the office never rejected it.
      await expectRefused(method, { seq: 1 }, 'invalid-input', /entry 1 is not in the failed list/);
    }
    for (const method of ['sync.status', 'sync.now', 'failed.list']) {
      await expectRefused(method, { now: true }, 'invalid-input', /^the input: has unexpected now$/);
    }

    await expectValue(handle('session.signOut', {}));
    for (const method of ['conflicts.list', 'failed.list', 'sync.now']) {
      await expectRefused(method, {}, 'not-signed-in', /sign in/);
    }
  });

  it("shows a supervisor every operator's conflicts as someone else's, and lets only a supervisor close the kiosk", async () => {
    let closeAllowed = 0;
    const closing = createIpcHandler(kiosk.core, { unenrolledSiteId: 'site-oak', sync: () => sync, onCloseApp: () => closeAllowed++ });
    const created = await call(world.server, 'POST', '/v1/admin/operators', {
      token: world.server.adminToken,
      body: { id: 'op-sue', siteId: NORTH, badgeId: 'SUP-1', displayName: 'Sue Supervisor', role: 'supervisor', pin: '8642' },
    });
    expect(created.status).toBe(201);
    await expectValue(closing('session.signIn', { badgeId: INSPECTOR.badgeId, pin: INSPECTOR.pin }));
    await expectValue(closing('sync.now', {}));

    // What is tried: the inspector closing the kiosk, and nobody signed in.
    expect(await closing('app.close', {})).toMatchObject({ ok: false, error: { code: 'not-allowed', message: expect.stringMatching(/only a supervisor/) } });
    await expectValue(closing('session.signOut', {}));
    expect(await closing('app.close', {})).toMatchObject({ ok: false, error: { code: 'not-signed-in' } });
    expect(closeAllowed).toBe(0);

    await expectValue(closing('session.signIn', { badgeId: 'sup-1', pin: '8642' }));
    const inbox = await expectValue(closing('conflicts.list', {}));
    expect(inbox).toContainEqual(expect.objectContaining({ recordTitle: 'Work order “Reefer check”', yours: false }));
    // Marking an item seen stays with whoever made the change.
    expect(await closing('conflicts.markSeen', { id: inbox[0].id })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });

    expect(await expectValue(closing('app.close', {}))).toEqual({ closing: true });
    expect(closeAllowed).toBe(1);
    // Signed out first, so the journal says who closed it.
    expect(kiosk.core.sessions.current).toBeNull();
    expect(kiosk.core.journal().at(-1)?.body).toMatchObject({ kind: 'session.close', operatorId: 'op-sue' });
  });
});
