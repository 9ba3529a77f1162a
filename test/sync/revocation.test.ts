import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_PULL_JITTER_MS } from '../../main/core/sync/daemon.js';
import { DeviceSync } from '../../main/core/sync/device-sync.js';
import { createIpcHandler } from '../../main/ipc/handlers.js';
import { journalEntries } from '../../server/db/schema.js';
import { CLERK, INSPECTOR, SeededRandomness } from '../support/device.js';
import { noteCreate } from '../support/actions.js';
import { call } from '../support/server.js';
import { FakeTimers } from './support/timers.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

/**
 * What a device does when the office withdraws trust: an operator deactivated at the office is
 * signed out at the next pull (which the office's live notification starts) with a signed close
 * and a message the sign-in screen shows; a revoked device stops syncing when its live stream
 * says so, as it does when a request is refused.
 */
let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

/** A started DeviceSync (live stream on, interval and retries on fake timers) and a way to wait on what it reports. */
function runSync(device: FieldDevice, seed: string) {
  const timers = new FakeTimers(world.clock);
  const waiting = new Set<{ holds: () => boolean; resolve: () => void }>();
  const sync = new DeviceSync(device.core, {
    transport: device.transport,
    clock: world.clock,
    random: new SeededRandomness(seed),
    timers,
    onStatus: () => {
      for (const waiter of waiting) {
        if (!waiter.holds()) continue;
        waiting.delete(waiter);
        waiter.resolve();
      }
    },
  });
  /** Resolves once `holds` is true when sync reports; 10 s is only a hang guard. */
  const until = (what: string, holds: () => boolean): Promise<void> => {
    if (holds()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = { holds, resolve: () => (clearTimeout(guard), resolve()) };
      const guard = setTimeout(() => {
        waiting.delete(waiter);
        reject(new Error(`sync never reported that ${what}`));
      }, 10_000);
      waiting.add(waiter);
    });
  };
  return { sync, timers, until };
}

async function deactivate(operatorId: string): Promise<void> {
  const answer = await call(world.server, 'PATCH', `/v1/admin/operators/${operatorId}`, { token: world.server.adminToken, body: { active: false } });
  expect([answer.status, answer.body.active]).toEqual([200, false]);
}

describe('an operator deactivated at the office', () => {
  it('is signed out on the device as soon as it hears, with a signed close, a clear message on screen, and cannot sign in again', async () => {
    const kiosk = await world.addDevice('kiosk-withdrawn');
    const handle = createIpcHandler(kiosk.core, { unenrolledSiteId: 'site-oak' });
    const { sync, timers, until } = runSync(kiosk, 'withdrawn');
    const signedIn = kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    kiosk.core.perform(noteCreate('lane 3 camera dirty'));
    sync.start();
    try {
      await until('the live stream is connected', () => sync.status().live);
      // The pull the stream's `ready` asks for, a moment later.
      timers.advance(LIVE_PULL_JITTER_MS);
      await sync.whenIdle();
      expect(kiosk.core.sessions.current?.sessionId).toBe(signedIn.sessionId);

      // Interval syncs wait on fake timers that never fire here: only the live notification can bring the deactivation.
      await deactivate(CLERK.operatorId);
      const livePullAsked = () => (timers.nextDueAt() ?? Infinity) <= world.clock.now() + LIVE_PULL_JITTER_MS;
      for (let i = 0; i < 500 && !livePullAsked(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      timers.advance(LIVE_PULL_JITTER_MS);
      await until('the session ended', () => kiosk.core.sessions.current === null);

      const close = kiosk.core.journal().at(-1)!.body;
      expect(close).toMatchObject({ kind: 'session.close', reason: 'operator-deactivated', sessionId: signedIn.sessionId, operatorId: CLERK.operatorId });
      expect(kiosk.core.verifyJournal()).toMatchObject({ ok: true });
      // The screen's session check and any other call say why, and the sign-in screen shows it.
      const withdrawn = { ok: false, error: { code: 'not-signed-in', message: 'your access was withdrawn by the office; ask your supervisor' } };
      expect(await handle('session.current', {})).toEqual(withdrawn);
      expect(await handle('records.list', { recordType: 'note' })).toEqual(withdrawn);
      // The same badge and PIN no longer open a session on this device.
      expect(await handle('session.signIn', { badgeId: CLERK.badgeId, pin: CLERK.pin })).toMatchObject({ ok: false });
      expect(kiosk.core.sessions.current).toBeNull();

      // The office takes the close with the rest of the chain.
      await kiosk.client.push();
      const [stored] = await world.server.database.db
        .select()
        .from(journalEntries)
        .where(and(eq(journalEntries.deviceId, kiosk.core.deviceId), eq(journalEntries.seq, close.seq)));
      expect(stored).toBeDefined();
      expect(kiosk.core.status().outbox).toMatchObject({ pending: 0, failed: 0 });

      // Someone else signing in clears the message.
      expect(await handle('session.signIn', { badgeId: INSPECTOR.badgeId, pin: INSPECTOR.pin })).toMatchObject({ ok: true });
      expect(await handle('session.current', {})).toMatchObject({ ok: true, value: { operatorId: INSPECTOR.operatorId } });
    } finally {
      sync.stop();
    }
  });
});

describe('a revoked device', () => {
  it('stops syncing when its live stream says it was revoked, shows why, and does not knock again', async () => {
    const cab = await world.addDevice('cab-revoked');
    const { sync, timers, until } = runSync(cab, 'revoked');
    sync.start();
    try {
      await until('the live stream is connected', () => sync.status().live);
      await sync.whenIdle();
      expect(sync.status()).toMatchObject({ lastError: null, nextAttemptAt: expect.any(Number) });

      const revoked = await call(world.server, 'POST', `/v1/admin/devices/${cab.core.deviceId}/revoke`, { token: world.server.adminToken });
      expect(revoked.status).toBe(200);
      await until('the device was revoked', () => sync.status().lastError?.code === 'device-revoked');

      expect(sync.status()).toMatchObject({
        live: false,
        nextAttemptAt: null,
        lastError: { code: 'device-revoked', message: expect.stringMatching(/revoked by an administrator; it can no longer sync/), transient: false },
      });
      // Nothing is scheduled: no interval sync, no retry, no reconnect of the stream.
      expect(timers.pending).toBe(0);
      // "Sync now" asks the office once more and gets the same answer.
      expect((await sync.syncNow()).lastError).toMatchObject({ code: 'device-revoked' });
      expect(timers.pending).toBe(0);
    } finally {
      sync.stop();
    }
  });

  it('revoked while it was off, stops at the refusal of its first sync instead of retrying every interval', async () => {
    const cab = await world.addDevice('cab-revoked-offline');
    const revoked = await call(world.server, 'POST', `/v1/admin/devices/${cab.core.deviceId}/revoke`, { token: world.server.adminToken });
    expect(revoked.status).toBe(200);
    const { sync, timers } = runSync(cab, 'revoked-offline');
    sync.start();
    try {
      await sync.whenIdle();
      expect(sync.status()).toMatchObject({ running: false, live: false, nextAttemptAt: null, lastError: { code: 'device-revoked', transient: false } });
      expect(timers.pending).toBe(0);
    } finally {
      sync.stop();
    }
  });
});
