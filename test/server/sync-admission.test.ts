import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../../main/core/sync/errors.js';
import type { SyncTransport } from '../../main/core/sync/transport.js';
import { ApiFailure } from '../../server/errors.js';
import { loadConfig } from '../../server/config.js';
import { SyncAdmission } from '../../server/sync/admission.js';
import { INSPECTOR, ManualClock } from '../support/device.js';
import { noteCreate } from '../support/actions.js';
import { countRows } from '../support/server.js';
import { FakeTimers } from '../sync/support/timers.js';
import { type FieldDevice, SyncWorld } from '../sync/support/world.js';

/** Work the test holds open: it takes a turn and keeps it until released. */
function heldWork(admission: SyncAdmission): { release(): void; done: Promise<unknown> } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  return { release, done: admission.run(() => held) };
}

/** Waits in real time (at most ~10 s) for the office to get somewhere; the test fails if it never does. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(condition()).toBe(true);
}

const busy = { status: 503, code: 'unavailable' };

describe('turns for sync work', () => {
  it('serves as many at once as allowed, queues a few in order for a bounded wait, and turns the rest away at once', async () => {
    const timers = new FakeTimers(new ManualClock());
    const admission = new SyncAdmission({ maxInFlight: 2, maxQueued: 2, maxWaitMs: 2_000 }, timers);
    const first = heldWork(admission);
    const second = heldWork(admission);
    const served: string[] = [];
    const third = heldWork(admission);
    const fourth = admission.run(async () => served.push('fourth'));
    const turnedAway = admission.run(async () => served.push('fifth'));
    await expect(turnedAway).rejects.toMatchObject(busy);
    expect([admission.inFlight, admission.waiting]).toEqual([2, 2]);

    // A turn that ends passes to the first in the queue: a newcomer waits behind the others.
    first.release();
    await first.done;
    expect([admission.inFlight, admission.waiting]).toEqual([2, 1]);
    const newcomer = admission.run(async () => served.push('newcomer'));
    third.release();
    await Promise.all([third.done, fourth, newcomer]);
    expect(served).toEqual(['fourth', 'newcomer']);

    // Nobody ends their turn: those waiting are answered busy once the longest wait is over.
    const late = heldWork(admission);
    const waiting = admission.run(async () => served.push('waited too long'));
    expect(admission.waiting).toBe(1);
    expect(timers.fireNext()).toBe(true);
    await expect(waiting).rejects.toBeInstanceOf(ApiFailure);
    await expect(waiting).rejects.toMatchObject(busy);
    expect(served).not.toContain('waited too long');
    second.release();
    late.release();
    await Promise.all([second.done, late.done]);
    expect([admission.inFlight, admission.waiting, timers.pending]).toEqual([0, 0, 0]);
  });

  it('lets a request whose device hung up leave the queue without being served', async () => {
    const admission = new SyncAdmission({ maxInFlight: 1, maxQueued: 5, maxWaitMs: 2_000 }, new FakeTimers(new ManualClock()));
    const holder = heldWork(admission);
    const hungUp = new AbortController();
    let served = false;
    const waiting = admission.run(async () => (served = true), hungUp.signal);
    hungUp.abort();
    await expect(waiting).rejects.toMatchObject(busy);
    expect(admission.waiting).toBe(0);
    holder.release();
    await holder.done;
    expect(served).toBe(false);
    expect(admission.inFlight).toBe(0);
  });

  it('tells the devices it turns away to come back one turn-share apart, from when the turns waited for will likely be over, and never more than 30 s', async () => {
    const clock = new ManualClock();
    const timers = new FakeTimers(clock);
    const admission = new SyncAdmission({ maxInFlight: 2, maxQueued: 3, maxWaitMs: 2_500 }, timers, clock);
    // Turns of 6 s each: the estimate (200 ms at first) moves a fifth of the way each time.
    for (let turn = 0; turn < 12; turn++) {
      const work = heldWork(admission);
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(6_000);
      work.release();
      await work.done;
    }
    const turnMs = admission.turnMs;
    expect(turnMs).toBeGreaterThan(5_500);
    expect(turnMs).toBeLessThan(6_000);

    const held = [heldWork(admission), heldWork(admission), heldWork(admission), heldWork(admission), heldWork(admission)];
    expect([admission.inFlight, admission.waiting]).toEqual([2, 3]);
    const retryAfters: number[] = [];
    for (let device = 0; device < 8; device++) {
      const refusal = await admission.run(async () => 'served').catch((error: unknown) => error);
      expect(refusal).toMatchObject({ status: 503, code: 'unavailable' });
      retryAfters.push((refusal as ApiFailure).retryAfterSeconds);
    }
    // The three waiting take ~4 turn-shares of ~2.8 s: the first back after ~11.2 s, then one every ~2.8 s, up to 30 s.
    const share = turnMs / 2;
    expect(retryAfters).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => Math.min(30, Math.ceil((4 * share + k * share) / 1000))));
    expect(retryAfters.at(-1)).toBe(30);
    expect(new Set(retryAfters.slice(0, 6)).size).toBe(6);

    for (const work of held) work.release();
    await Promise.all(held.map((work) => work.done));
    expect([admission.inFlight, admission.waiting, timers.pending]).toEqual([0, 0, 0]);
  });

  it('is set from the environment, following the database pool unless told otherwise, and never waits as long as a device does', () => {
    expect(loadConfig({}).syncAdmission).toEqual({ maxInFlight: 8, maxQueued: 64, maxWaitMs: 2_500 });
    expect(loadConfig({ WAYPOST_DB_POOL_SIZE: '2' }).syncAdmission).toEqual({ maxInFlight: 1, maxQueued: 8, maxWaitMs: 2_500 });
    expect(loadConfig({ WAYPOST_SYNC_MAX_IN_FLIGHT: '20', WAYPOST_SYNC_QUEUE_WAIT_MS: '0' }).syncAdmission).toEqual({ maxInFlight: 20, maxQueued: 160, maxWaitMs: 0 });
    expect(loadConfig({ WAYPOST_SYNC_MAX_QUEUED: '0' }).syncAdmission.maxQueued).toBe(0);
    expect(() => loadConfig({ WAYPOST_SYNC_QUEUE_WAIT_MS: '30000' })).toThrow(/WAYPOST_SYNC_QUEUE_WAIT_MS/);
    expect(() => loadConfig({ WAYPOST_SYNC_MAX_IN_FLIGHT: '0' })).toThrow(/WAYPOST_SYNC_MAX_IN_FLIGHT/);
  });
});

describe('an office saturated with sync work', () => {
  const clock = new ManualClock();
  const timers = new FakeTimers(clock);
  // One push or pull at a time, one more may wait: the test holds the turn itself. Turns last
  // what the manual clock says (nothing, unless a timer moves it): the first estimate, 200 ms.
  const admission = new SyncAdmission({ maxInFlight: 1, maxQueued: 1, maxWaitMs: 2_000 }, timers, clock);
  let world: SyncWorld;
  beforeAll(async () => {
    world = await SyncWorld.start({ syncAdmission: admission });
  });
  afterAll(async () => world?.close());

  async function deviceWithNotes(name: string, transport?: (http: SyncTransport) => SyncTransport): Promise<FieldDevice> {
    const device = await world.addDevice(name, { transport });
    device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    device.core.perform(noteCreate(`${name}: seal intact`));
    return device;
  }

  it('answers 503 with Retry-After past its limit and past the longest wait, writes nothing for those, and takes the same push once it has room', async () => {
    const waiting = await deviceWithNotes('cab-queued');
    const turnedAway = await deviceWithNotes('cab-turned-away');
    const before = await countRows(world.server.database);
    const holder = heldWork(admission);

    const queuedSync = waiting.client.sync().catch((error: unknown) => error);
    await until(() => admission.waiting === 1);
    const refusal = await turnedAway.client.sync().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SyncError);
    // Two turns ahead of it at 200 ms each: back in a second (the shortest Retry-After).
    expect(refusal).toMatchObject({ code: 'unavailable', status: 503, transient: true, retryAfterMs: 1_000 });

    // Nobody's turn ends within the longest wait: the queued push is answered busy too.
    expect(timers.fireNext()).toBe(true);
    expect(await queuedSync).toMatchObject({ code: 'unavailable', status: 503, retryAfterMs: 1_000 });
    expect(await countRows(world.server.database)).toEqual(before);
    expect([waiting.client.outbox().pending, turnedAway.client.outbox().pending]).toEqual([2, 2]);

    holder.release();
    await holder.done;
    await waiting.client.sync();
    await turnedAway.client.sync();
    expect([waiting.client.outbox().pending, turnedAway.client.outbox().pending]).toEqual([0, 0]);
    expect((await countRows(world.server.database)).journal_entries).toBe(before.journal_entries + 4);
  });

  it('never serves a push whose device gave up while it waited for its turn', async () => {
    // This device waits only a moment and a half for any answer.
    const impatient = await deviceWithNotes('cab-impatient', (http) => ({
      post: (path, body, headers) => http.post(path, body, headers, { timeoutMs: 1_500 }),
      events: (path, headers, handlers) => http.events(path, headers, handlers),
    }));
    const before = await countRows(world.server.database);
    const holder = heldWork(admission);

    const gaveUp = impatient.client.sync().catch((error: unknown) => error);
    await until(() => admission.waiting === 1);
    expect(await gaveUp).toMatchObject({ code: 'network' });
    // The office hears the hang-up and lets the request go without a turn.
    await until(() => admission.waiting === 0);
    holder.release();
    await holder.done;
    expect(admission.inFlight).toBe(0);
    expect(await countRows(world.server.database)).toEqual(before);
    expect(impatient.client.outbox().pending).toBe(2);
  });
});
