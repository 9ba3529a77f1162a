import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_PULL_JITTER_MS, SyncDaemon, systemTimers, type DaemonStatus } from '../../main/core/sync/daemon.js';
import { SyncError, UpdateRequiredError } from '../../main/core/sync/errors.js';
import type { EventStreamHandlers, SyncTransport } from '../../main/core/sync/transport.js';
import { CURRENT_SCHEMA_VERSION, SYNC_EVENTS, type SyncEventData } from '../../protocol/wire.js';
import { CLERK, INSPECTOR, ManualClock, provisionTestOperators, SeededRandomness } from '../support/device.js';
import { NORTH, noteCreate, update } from '../support/actions.js';
import { SOUTH, SOUTH_INSPECTOR } from '../support/server.js';
import { type Outcome, ScriptedSyncClient } from './support/scripted-client.js';
import { FakeTimers } from './support/timers.js';
import { ScriptedTransport } from './support/transports.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

const PUSH = '/v1/sync/push';
const PULL = '/v1/sync/pull';
const MINUTE = 60_000;

function scripted(device: FieldDevice): ScriptedTransport {
  return device.transport as ScriptedTransport;
}

function daemonFor(device: FieldDevice, timers: FakeTimers, seed = device.name, options: { live?: boolean } = {}): SyncDaemon {
  return new SyncDaemon({
    client: device.client,
    clock: world.clock,
    timers,
    random: new SeededRandomness(`daemon:${seed}`),
    intervalMs: 5 * MINUTE,
    backoff: { initialMs: 2_000, maxMs: MINUTE },
    live: options.live ?? false,
  });
}

/** Fires the daemon's next timer and waits for the sync it starts; returns the wait it had scheduled. */
async function fireNextAttempt(daemon: SyncDaemon, timers: FakeTimers): Promise<number> {
  const from = world.clock.now();
  const due = daemon.status().nextAttemptAt!;
  expect(timers.fireNext()).toBe(true);
  expect(world.clock.now()).toBe(due);
  await daemon.whenIdle();
  return due - from;
}

/** Waits for `condition` in real time, at most ~10 s; the test fails if it never holds. */
async function eventually(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(condition()).toBe(true);
}

describe('the sync daemon', () => {
  it('backs off exponentially with jitter while the office is unreachable, then recovers and returns to the interval', async () => {
    const cab = await world.addDevice('cab-backoff', { transport: (http) => new ScriptedTransport(http) });
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    cab.core.perform(noteCreate('dead zone near mile 212'));
    const timers = new FakeTimers(world.clock);
    const daemon = daemonFor(cab, timers);
    scripted(cab).unreachable(PUSH);

    const first = await daemon.syncNow();
    expect(first).toMatchObject({ lastError: { code: 'network', transient: true }, consecutiveFailures: 1, pending: 2 });
    expect(first.nextAttemptAt).toBeNull(); // not started: only the manual sync ran

    daemon.start();
    await daemon.whenIdle();
    const waits: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) waits.push(await fireNextAttempt(daemon, timers));

    // Each wait is between half and all of 2 s × 2^n, capped at one minute.
    const ceilings = [4_000, 8_000, 16_000, 32_000, MINUTE, MINUTE, MINUTE];
    waits.forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(ceilings[i]! / 2);
      expect(wait).toBeLessThanOrEqual(ceilings[i]!);
    });
    expect(new Set(waits.slice(4)).size).toBeGreaterThan(1); // jitter: capped waits still differ
    expect(daemon.status()).toMatchObject({ consecutiveFailures: 9, pending: 2, lastSuccessAt: null });

    scripted(cab).heal();
    await fireNextAttempt(daemon, timers);
    const recovered = daemon.status();
    expect(recovered).toMatchObject({ consecutiveFailures: 0, lastError: null, pending: 0, lastSuccessAt: world.clock.now() });
    expect(recovered.nextAttemptAt).toBe(world.clock.now() + 5 * MINUTE);
    daemon.stop();
    expect(timers.pending).toBe(0);
  });

  it('spreads the retries of devices that lost the office together (same seed, same waits; other seeds, other waits)', async () => {
    const waitsFor = async (seed: string) => {
      const kiosk = await world.addDevice(`kiosk-jitter-${seed}`, { transport: (http) => new ScriptedTransport(http) });
      scripted(kiosk).unreachable(PULL);
      const timers = new FakeTimers(world.clock);
      const daemon = daemonFor(kiosk, timers, 'fleet-' + seed.slice(0, 1));
      daemon.start();
      await daemon.whenIdle();
      const waits = [];
      for (let i = 0; i < 4; i++) waits.push(await fireNextAttempt(daemon, timers));
      daemon.stop();
      return waits;
    };
    const a = await waitsFor('a1');
    const again = await waitsFor('a2');
    const b = await waitsFor('b1');
    expect(again).toEqual(a);
    expect(b).not.toEqual(a);
  });

  it('runs one sync at a time: triggers during a sync collapse into one more run', async () => {
    const kiosk = await world.addDevice('kiosk-single');
    let inFlight = 0;
    let maxInFlight = 0;
    const requests: string[] = [];
    let triggers: Promise<DaemonStatus>[] = [];
    let daemon: SyncDaemon | null = null;
    const counting: SyncTransport = {
      post: async (path, body, headers) => {
        requests.push(path);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        if (requests.length === 1) {
          // While the first push is on the wire, every trigger fires.
          triggers = [daemon!.syncNow(), daemon!.syncNow()];
          daemon!.resumed();
          daemon!.networkChanged(true);
        }
        try {
          return await kiosk.transport.post(path, body, headers);
        } finally {
          inFlight--;
        }
      },
      events: (path, headers, handlers) => kiosk.transport.events(path, headers, handlers),
    };
    daemon = new SyncDaemon({
      client: kiosk.core.syncClient(counting),
      clock: world.clock,
      timers: new FakeTimers(world.clock),
      random: new SeededRandomness('single'),
      live: false,
    });
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    kiosk.core.perform(noteCreate('lane 2 barrier stuck'));

    daemon.start();
    await daemon.whenIdle();
    const statuses = await Promise.all(triggers);

    expect(maxInFlight).toBe(1);
    // The start sync pushes and pulls; everything after it is one more sync with nothing to push.
    expect(requests).toEqual([PUSH, PULL, PULL]);
    expect(statuses[0]).toBe(statuses[1]);
    expect(statuses[0]).toMatchObject({ pending: 0, running: false, lastError: null });
    daemon.stop();
  });

  it('waits for the network while offline and syncs as soon as it is back', async () => {
    const cab = await world.addDevice('cab-offline-daemon', { transport: (http) => new ScriptedTransport(http) });
    const timers = new FakeTimers(world.clock);
    const daemon = daemonFor(cab, timers);
    daemon.start();
    await daemon.whenIdle();
    const before = scripted(cab).attempts.length;

    daemon.networkChanged(false);
    expect(daemon.status()).toMatchObject({ online: false, nextAttemptAt: null });
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    cab.core.perform(noteCreate('no signal in the canyon'));
    timers.advance(60 * MINUTE);
    await daemon.whenIdle();
    expect(scripted(cab).attempts.length).toBe(before);

    daemon.networkChanged(true);
    await daemon.whenIdle();
    expect(scripted(cab).attempts.slice(before)).toEqual([PUSH, PULL]);
    expect(daemon.status()).toMatchObject({ online: true, pending: 0 });
    daemon.stop();
  });

  it('stops syncing when the office requires an update, keeping every pending entry for the updated app', async () => {
    // A build whose schema is below the office's supported window (the office still enrolled it).
    const cab = await world.addDevice('cab-outdated', { transport: (http) => new ScriptedTransport(http), client: { schemaVersion: 0 }, pull: false });
    // Its operators came with pulls it made while it was still supported.
    provisionTestOperators(cab.core, cab.random);
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    cab.core.perform(noteCreate('written before the update'));

    const error = await cab.client.sync().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UpdateRequiredError);
    expect(error).toMatchObject({ code: 'update-required', minimumVersion: 1, currentVersion: CURRENT_SCHEMA_VERSION });
    const streamClosed = new Promise<Error | null>((resolve) => cab.client.listen({ onReady: () => undefined, onChanges: () => undefined, onClose: resolve }));
    expect(await streamClosed).toBeInstanceOf(UpdateRequiredError);

    const timers = new FakeTimers(world.clock);
    const statuses: DaemonStatus[] = [];
    const daemon = new SyncDaemon({
      client: cab.client,
      clock: world.clock,
      timers,
      random: new SeededRandomness('outdated'),
      onStatus: (status) => statuses.push(status),
      live: false,
    });
    daemon.start();
    await daemon.whenIdle();
    expect(daemon.status()).toMatchObject({
      updateRequired: { minimumVersion: 1, currentVersion: CURRENT_SCHEMA_VERSION, message: expect.stringMatching(/too old/) },
      lastError: { code: 'update-required' },
      nextAttemptAt: null,
      pending: 2,
    });
    expect(statuses.at(-1)?.updateRequired).not.toBeNull();
    const attempts = scripted(cab).attempts.length;

    await daemon.syncNow();
    daemon.resumed();
    daemon.networkChanged(true);
    timers.advance(24 * 60 * MINUTE);
    await daemon.whenIdle();
    expect(scripted(cab).attempts.length).toBe(attempts);
    expect(cab.core.status().outbox.pending).toBe(2);
    expect(await world.office.record('note', cab.core.listRecords('note')[0]!.id)).toBeNull();
  });

  it('pulls an office edit as soon as the live stream announces it', async () => {
    const cab = await world.addDevice('cab-live');
    const order = await world.office.createWorkOrder({ title: 'Reposition chassis', statusNote: 'queued' });
    const daemon = new SyncDaemon({
      client: cab.client,
      clock: world.clock,
      timers: systemTimers,
      random: new SeededRandomness('live'),
      // No interval sync within the test: only the live stream can bring the edit.
      intervalMs: 60 * MINUTE,
    });
    daemon.start();
    await eventually(() => daemon.status().live);
    await daemon.whenIdle();
    expect(cab.core.getRecord('workOrder', order.id)?.fields.priority).toBe('normal');

    await world.office.updateWorkOrder(order.id, { priority: 'urgent' });

    await eventually(() => cab.core.getRecord('workOrder', order.id)?.fields.priority === 'urgent');
    expect(cab.core.getRecord('workOrder', order.id)).toMatchObject({ serverVersion: 2, syncState: 'synced' });
    daemon.stop();
    expect(daemon.status().live).toBe(false);
  });

  it("does not pull when the office announces only the device's own push, and pulls once for an office edit", async () => {
    const heard: SyncEventData[] = [];
    const listening = (http: SyncTransport): SyncTransport => ({
      post: (path, body, headers, options) => http.post(path, body, headers, options),
      events: (path, headers, handlers) =>
        http.events(path, headers, {
          onEvent: (event, data) => {
            if (event === SYNC_EVENTS.changes) heard.push(JSON.parse(data) as SyncEventData);
            handlers.onEvent(event, data);
          },
          onClose: (error) => handlers.onClose(error),
        }),
    });
    // At the south yard, which no other test here writes to.
    const cab = await world.addDevice('cab-own-push', { siteId: SOUTH, transport: (http) => new ScriptedTransport(listening(http)) });
    const timers = new FakeTimers(world.clock);
    const daemon = new SyncDaemon({ client: cab.client, clock: world.clock, timers, random: new SeededRandomness('own-push'), intervalMs: 60 * MINUTE });
    const pulls = () => scripted(cab).attempts.filter((path) => path === PULL).length;
    daemon.start();
    await eventually(() => daemon.status().live);
    timers.advance(LIVE_PULL_JITTER_MS);
    await daemon.whenIdle();

    cab.core.signIn(SOUTH_INSPECTOR.badgeId, SOUTH_INSPECTOR.pin);
    cab.core.perform(noteCreate('spare tyre checked'));
    await daemon.syncNow();
    expect(daemon.status()).toMatchObject({ pending: 0, lastError: null });
    const pullsAfterPush = pulls();
    await eventually(() => heard.length === 1);
    expect(heard[0]).toMatchObject({ siteId: SOUTH, by: { devices: [cab.core.deviceId], office: false } });
    timers.advance(LIVE_PULL_JITTER_MS);
    await daemon.whenIdle();
    expect(pulls()).toBe(pullsAfterPush);

    const order = await world.office.createWorkOrder({ siteId: SOUTH, title: 'Check the reefer plug' });
    await eventually(() => heard.length === 2);
    expect(heard[1]).toMatchObject({ siteId: SOUTH, by: { devices: [], office: true } });
    timers.advance(LIVE_PULL_JITTER_MS);
    await daemon.whenIdle();
    expect(pulls()).toBe(pullsAfterPush + 1);
    expect(cab.core.getRecord('workOrder', order.id)).toMatchObject({ serverVersion: 1, syncState: 'synced' });
    daemon.stop();
  });

  it('passes on every announcement but one naming only its own pushes, and one it cannot read', async () => {
    const kiosk = await world.addDevice('kiosk-announcements');
    let stream: EventStreamHandlers | null = null;
    const client = kiosk.core.syncClient({
      post: (path, body, headers) => kiosk.transport.post(path, body, headers),
      events: (_path, _headers, handlers) => {
        stream = handlers;
        return { close: () => undefined };
      },
    });
    const passedOn: unknown[] = [];
    client.listen({ onReady: () => undefined, onChanges: (data) => passedOn.push(data.by ?? 'unknown'), onClose: () => undefined });
    const own = kiosk.core.deviceId;
    const announcements = [
      { devices: [own], office: false },
      { devices: [own], office: true },
      { devices: [own, 'cab-other'], office: false },
      { devices: ['cab-other'], office: false },
      { devices: [], office: true },
      undefined,
    ];
    for (const by of announcements) stream!.onEvent(SYNC_EVENTS.changes, JSON.stringify({ siteId: NORTH, at: 1, by }));
    stream!.onEvent(SYNC_EVENTS.changes, 'not json');
    expect(passedOn).toEqual([...announcements.slice(1).map((by) => by ?? 'unknown'), 'unknown']);
  });

  it('keeps local edits made while a push is in flight, and sends them right after', async () => {
    const kiosk = await world.addDevice('kiosk-inflight');
    const order = await world.office.createWorkOrder({ title: 'Gate audit' });
    await kiosk.client.pull();
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    kiosk.core.perform(update('workOrder', order.id, { statusNote: 'lane 1 done' }));
    const seen: { path: string; entries: number[]; local: unknown }[] = [];
    const client = kiosk.core.syncClient({
      post: async (path, body, headers) => {
        const entries = ((body as { entries?: { body: { seq: number } }[] }).entries ?? []).map((entry) => entry.body.seq);
        seen.push({ path, entries, local: kiosk.core.getRecord('workOrder', order.id) });
        const answer = kiosk.transport.post(path, body, headers);
        // The clerk keeps working while the first push is on the wire.
        if (seen.length === 1) kiosk.core.perform(update('workOrder', order.id, { location: 'lane 2' }));
        return answer;
      },
      events: (path, headers, handlers) => kiosk.transport.events(path, headers, handlers),
    });

    await client.sync();

    expect(seen.map(({ path, entries }) => [path, entries])).toEqual([
      [PUSH, [1, 2]],
      [PUSH, [3]],
      [PULL, []],
    ]);
    // Between the two pushes: the office's answer for the first, the unsent edit on top.
    expect(seen[1]!.local).toMatchObject({ serverVersion: 2, syncState: 'pending', fields: { statusNote: 'lane 1 done', location: 'lane 2' } });
    expect(await world.office.record('workOrder', order.id)).toMatchObject({ version: 3, fields: { statusNote: 'lane 1 done', location: 'lane 2' } });
    expect(kiosk.core.getRecord('workOrder', order.id)).toMatchObject({ serverVersion: 3, syncState: 'synced' });
  });
});

describe('the sync daemon, whatever triggers a sync', () => {
  /** A daemon on a scripted client and manual timers: a minute between syncs, backoff from 2 s. */
  function scriptedDaemon() {
    const clock = new ManualClock();
    const timers = new FakeTimers(clock);
    const client = new ScriptedSyncClient(clock);
    const statuses: DaemonStatus[] = [];
    const daemon = new SyncDaemon({
      client,
      clock,
      timers,
      random: new SeededRandomness('daemon:scripted'),
      intervalMs: MINUTE,
      backoff: { initialMs: 2_000, maxMs: MINUTE },
      onStatus: (status) => statuses.push(status),
    });
    return { clock, timers, client, daemon, statuses };
  }
  const lost: Outcome = { error: new SyncError('network', 'the office could not be reached: connection reset', true) };
  const announcements = {
    'a change': (live: ScriptedSyncClient['live'], at: number) => live.onChanges({ siteId: 'site-north', at }),
    'a reconnect': (live: ScriptedSyncClient['live']) => live.onReady(),
  };

  it.each(Object.keys(announcements) as (keyof typeof announcements)[])(
    'asks the office nothing before the retry when the live stream announces %s during a backoff, keeps the retry and the error, and the retry brings the change',
    async (announcement) => {
      const { clock, timers, client, daemon } = scriptedDaemon();
      client.pending = 3;
      client.next('sync', lost);
      daemon.start();
      await daemon.whenIdle();
      const failed = daemon.status();
      expect(failed).toMatchObject({ lastError: { code: 'network', transient: true }, consecutiveFailures: 1, pending: 3 });
      const retryAt = failed.nextAttemptAt!;
      expect(retryAt - clock.now()).toBeLessThanOrEqual(2_000);

      // Before the retry is due the office announces something.
      clock.advance(500);
      announcements[announcement](client.live, clock.now());
      timers.advance(retryAt - clock.now() - 1);
      await daemon.whenIdle();
      expect(client.calls).toEqual(['sync']);
      expect(daemon.status()).toMatchObject({ nextAttemptAt: retryAt, lastError: { code: 'network' }, consecutiveFailures: 1, pending: 3, running: false });

      // The retry pushes and pulls: no pull of its own follows it.
      expect(timers.fireNext()).toBe(true);
      await daemon.whenIdle();
      expect(client.calls).toEqual(['sync', 'sync']);
      expect(daemon.status()).toMatchObject({ lastError: null, consecutiveFailures: 0, pending: 0, lastSuccessAt: retryAt, nextAttemptAt: retryAt + MINUTE });
      timers.advance(MINUTE - 1);
      await daemon.whenIdle();
      expect(client.calls).toEqual(['sync', 'sync']);
      daemon.stop();
    },
  );

  it.each(Object.keys(announcements) as (keyof typeof announcements)[])(
    'keeps the error a sync left and its next attempt when the live stream announces %s and the pull it starts goes through (issue 7: entries pending behind a clean status)',
    async (announcement) => {
      const { clock, timers, client, daemon } = scriptedDaemon();
      client.pending = 3;
      client.next('sync', { error: new SyncError('entries-not-acknowledged', 'the office did not take entry 4', false) });
      daemon.start();
      await daemon.whenIdle();
      const failed = daemon.status();
      expect(failed).toMatchObject({ lastError: { code: 'entries-not-acknowledged' }, pending: 3, nextAttemptAt: clock.now() + MINUTE });

      announcements[announcement](client.live, clock.now());
      timers.advance(LIVE_PULL_JITTER_MS);
      await daemon.whenIdle();
      expect(client.calls).toEqual(['sync', 'pull']);
      expect(daemon.status()).toMatchObject({ nextAttemptAt: failed.nextAttemptAt, lastError: { code: 'entries-not-acknowledged' }, pending: 3, running: false });
      daemon.stop();
    },
  );

  /** The live stream announces a change; returns once the pull it asked for (after its jitter) is over. */
  async function announceAndPull(client: ScriptedSyncClient, timers: FakeTimers, daemon: SyncDaemon, clock: ManualClock): Promise<void> {
    const calls = client.calls.length;
    client.live.onChanges({ siteId: 'site-north', at: clock.now() });
    timers.advance(LIVE_PULL_JITTER_MS);
    await daemon.whenIdle();
    expect(client.calls.slice(calls)).toEqual(['pull']);
  }

  it('never puts off a due retry when a live pull fails; a failed pull brings the next sync forward', async () => {
    const { clock, timers, client, daemon } = scriptedDaemon();
    client.pending = 1;
    daemon.start();
    await daemon.whenIdle();
    const intervalAt = daemon.status().nextAttemptAt!;

    // The office refusing a pull for good is for someone to act on: the next sync keeps its time.
    client.next('pull', { error: new SyncError('unauthorized', 'the device credential is not valid', false, 401) });
    await announceAndPull(client, timers, daemon, clock);
    expect(daemon.status()).toMatchObject({ nextAttemptAt: intervalAt, lastError: { code: 'unauthorized' }, consecutiveFailures: 0 });

    // A pull that fails for now brings a retry forward, and shows why.
    client.next('pull', lost);
    await announceAndPull(client, timers, daemon, clock);
    const afterPull = daemon.status();
    expect(afterPull).toMatchObject({ lastError: { code: 'network' } });
    const retryAt = afterPull.nextAttemptAt!;
    expect(retryAt - clock.now()).toBeLessThanOrEqual(2_000);

    // Announcements meanwhile neither put the retry off nor bring the office a request before it.
    for (let i = 0; i < 5; i++) client.live.onChanges({ siteId: 'site-north', at: clock.now() });
    timers.advance(retryAt - clock.now() - 1);
    await daemon.whenIdle();
    expect(client.calls).toEqual(['sync', 'pull', 'pull']);
    expect(daemon.status()).toMatchObject({ nextAttemptAt: retryAt, lastError: { code: 'network' } });
    expect(timers.fireNext()).toBe(true);
    await daemon.whenIdle();
    expect(client.calls).toEqual(['sync', 'pull', 'pull', 'sync']);
    expect(daemon.status()).toMatchObject({ lastError: null, consecutiveFailures: 0, pending: 0, nextAttemptAt: retryAt + MINUTE });
    daemon.stop();
  });

  it("waits the office's Retry-After before a live pull it turned away, whatever it announces meanwhile (issue 7: 2,701 pulls answered 503)", async () => {
    const { clock, timers, client, daemon } = scriptedDaemon();
    daemon.start();
    await daemon.whenIdle();

    client.next('pull', { error: new SyncError('unavailable', 'the office is busy; try again in 5 s', true, 503, 5_000) });
    await announceAndPull(client, timers, daemon, clock);
    const turnedAwayAt = clock.now();
    const retryAt = daemon.status().nextAttemptAt!;
    expect(retryAt - turnedAwayAt).toBeGreaterThanOrEqual(5_000);

    // The office keeps announcing changes every 100 ms until the retry is due.
    while (clock.now() + 100 < retryAt) {
      client.live.onChanges({ siteId: 'site-north', at: clock.now() });
      timers.advance(100);
      await daemon.whenIdle();
    }
    expect(client.calls).toEqual(['sync', 'pull']);
    // The retry pulls what they announced.
    timers.advance(retryAt - clock.now());
    await daemon.whenIdle();
    expect(client.calls).toEqual(['sync', 'pull', 'sync']);
    expect(daemon.status()).toMatchObject({ lastError: null, consecutiveFailures: 0 });
    daemon.stop();
  });

  it('does not lengthen the wait of pending entries for the live pulls a busy office turned away (issue 7: devices left minutes behind)', async () => {
    const { clock, timers, client, daemon } = scriptedDaemon();
    daemon.start();
    await daemon.whenIdle();
    const busy = () => ({ error: new SyncError('unavailable', 'the office is busy; try again in 5 s', true, 503, 5_000) });

    for (let round = 0; round < 3; round++) {
      client.pending = 2;
      client.next('pull', busy());
      await announceAndPull(client, timers, daemon, clock);
      // The retry the refusal brought forward finds the office unreachable, then goes through.
      client.next('sync', lost);
      expect(timers.fireNext()).toBe(true);
      await daemon.whenIdle();
      const failed = daemon.status();
      expect(failed).toMatchObject({ lastError: { code: 'network' }, consecutiveFailures: 1, pending: 2 });
      // The first backoff step (1-2 s), not one lengthened by the refused pulls before it.
      expect(failed.nextAttemptAt! - clock.now()).toBeLessThanOrEqual(2_000);
      expect(timers.fireNext()).toBe(true);
      await daemon.whenIdle();
      expect(daemon.status()).toMatchObject({ lastError: null, consecutiveFailures: 0, pending: 0 });
    }
    expect(client.calls).toEqual(['sync', ...Array(3).fill(['pull', 'sync', 'sync']).flat()]);
    daemon.stop();
  });

  it('pulls once for a burst of announcements during a sync, and once for a burst while idle', async () => {
    const { clock, timers, client, daemon } = scriptedDaemon();
    const sync = client.hold('sync');
    daemon.start();
    await sync.started;
    for (let i = 0; i < 50; i++) client.live.onChanges({ siteId: 'site-north', at: clock.now() + i });
    client.live.onReady();
    sync.release();
    await daemon.whenIdle();
    timers.advance(LIVE_PULL_JITTER_MS);
    await daemon.whenIdle();
    expect(client.calls).toEqual(['sync', 'pull']);

    // Announcements while that pull is on the wire ask for one more after it.
    const pull = client.hold('pull');
    client.live.onChanges({ siteId: 'site-north', at: clock.now() });
    timers.advance(LIVE_PULL_JITTER_MS);
    await pull.started;
    for (let i = 0; i < 50; i++) client.live.onChanges({ siteId: 'site-north', at: clock.now() + i });
    pull.release();
    await daemon.whenIdle();
    timers.advance(LIVE_PULL_JITTER_MS);
    await daemon.whenIdle();
    expect(client.calls).toEqual(['sync', 'pull', 'pull', 'pull']);

    for (let i = 0; i < 50; i++) client.live.onChanges({ siteId: 'site-north', at: clock.now() + i });
    timers.advance(LIVE_PULL_JITTER_MS);
    await daemon.whenIdle();
    expect(client.calls).toEqual(['sync', 'pull', 'pull', 'pull', 'pull']);
    expect(client.maxInFlight).toBe(1);
    daemon.stop();
    expect(timers.pending).toBe(0);
  });

  it(`spreads the pulls of a site's devices told at the same moment over up to ${LIVE_PULL_JITTER_MS} ms (same seed, same waits)`, async () => {
    const waitsOf = async (seed: string) => {
      const clock = new ManualClock();
      const timers = new FakeTimers(clock);
      const client = new ScriptedSyncClient(clock);
      const daemon = new SyncDaemon({ client, clock, timers, random: new SeededRandomness(seed), intervalMs: MINUTE });
      daemon.start();
      await daemon.whenIdle();
      const waits = [];
      for (let i = 0; i < 4; i++) {
        client.live.onChanges({ siteId: 'site-north', at: clock.now() });
        waits.push(timers.nextDueAt()! - clock.now());
        expect(timers.fireNext()).toBe(true);
        await daemon.whenIdle();
      }
      expect(client.calls).toEqual(['sync', 'pull', 'pull', 'pull', 'pull']);
      daemon.stop();
      return waits;
    };
    const fleet = [];
    for (let device = 0; device < 8; device++) fleet.push(await waitsOf(`fleet:${device}`));
    for (const wait of fleet.flat()) {
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(LIVE_PULL_JITTER_MS);
    }
    expect(new Set(fleet.map((waits) => waits[0])).size).toBeGreaterThan(6);
    expect(await waitsOf('fleet:3')).toEqual(fleet[3]);
  });

  it('spreads the devices a busy office turned away together over a while after its Retry-After, so they do not all come back at once', async () => {
    const waits = [];
    for (let device = 0; device < 8; device++) {
      const clock = new ManualClock();
      const client = new ScriptedSyncClient(clock);
      client.next('sync', { error: new SyncError('unavailable', 'the office is busy; try again in 5 s', true, 503, 5_000) });
      const daemon = new SyncDaemon({ client, clock, timers: new FakeTimers(clock), random: new SeededRandomness(`fleet:${device}`), live: false });
      daemon.start();
      await daemon.whenIdle();
      waits.push(daemon.status().nextAttemptAt! - clock.now());
      daemon.stop();
    }
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(5_000);
      expect(wait).toBeLessThanOrEqual(7_500);
    }
    expect(new Set(waits).size).toBe(waits.length);
  });

  it("keeps coming back after the busy office's Retry-After however often it was turned away, where the backoff would have grown to minutes (issue 7: devices of a 50-truck dead zone left 5 min behind)", async () => {
    const clock = new ManualClock();
    const client = new ScriptedSyncClient(clock);
    const timers = new FakeTimers(clock);
    const daemon = new SyncDaemon({ client, clock, timers, random: new SeededRandomness('busy-hour'), backoff: { initialMs: 2_000, maxMs: 5 * 60_000 }, live: false });
    const turnedAway = (retryAfterMs?: number) => client.next('sync', { error: new SyncError('unavailable', 'the office is busy; try again in 3 s', true, 503, retryAfterMs) });
    const waits: number[] = [];
    const recordWait = () => waits.push(daemon.status().nextAttemptAt! - clock.now());
    const attempt = async () => {
      expect(timers.fireNext()).toBe(true);
      await daemon.whenIdle();
      recordWait();
    };
    turnedAway(3_000);
    daemon.start();
    await daemon.whenIdle();
    recordWait();
    for (let round = 1; round < 12; round++) {
      turnedAway(3_000);
      await attempt();
    }
    expect(daemon.status()).toMatchObject({ consecutiveFailures: 12, lastError: { code: 'unavailable', transient: true } });
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(3_000);
      expect(wait).toBeLessThanOrEqual(4_500);
    }

    // An office that asks for no wait at all still gets a second; one that gives no Retry-After gets the backoff.
    turnedAway(0);
    await attempt();
    expect(waits.at(-1)).toBe(1_000);
    turnedAway();
    await attempt();
    expect(waits.at(-1)).toBeGreaterThan(60_000);
    await attempt();
    expect(daemon.status()).toMatchObject({ consecutiveFailures: 0, lastError: null });
    daemon.stop();
  });

  it('says a sync is running from the status it tells as the sync starts to the one it tells as it ends', async () => {
    const { timers, client, daemon, statuses } = scriptedDaemon();
    for (const [kind, trigger] of [
      ['sync', () => daemon.start()],
      [
        'pull',
        () => {
          client.live.onChanges({ siteId: 'site-north', at: 0 });
          timers.advance(LIVE_PULL_JITTER_MS);
        },
      ],
    ] as const) {
      const held = client.hold(kind);
      trigger();
      await held.started;
      expect(statuses.at(-1)).toMatchObject({ running: true });
      expect(daemon.status().running).toBe(true);
      held.release();
      await daemon.whenIdle();
      expect(statuses.at(-1)).toMatchObject({ running: false, lastError: null });
    }
    daemon.stop();
  });

  it('runs one sync at a time whatever asks for one meanwhile, and still runs what was asked once the current one ends', async () => {
    const { clock, timers, client, daemon } = scriptedDaemon();
    daemon.start();
    await daemon.whenIdle();

    // A live pull is on the wire when the interval falls due, the app resumes, the network changes and the user asks.
    const pull = client.hold('pull');
    client.live.onChanges({ siteId: 'site-north', at: clock.now() });
    timers.advance(LIVE_PULL_JITTER_MS);
    await pull.started;
    timers.advance(MINUTE);
    client.live.onChanges({ siteId: 'site-north', at: clock.now() });
    daemon.resumed();
    daemon.networkChanged(true);
    const manual = daemon.syncNow();
    pull.release();
    await expect(manual).resolves.toMatchObject({ running: false, lastError: null });
    await daemon.whenIdle();
    expect(client.calls).toEqual(['sync', 'pull', 'sync']);

    // A full sync is on the wire when the office announces changes twice: one pull follows it.
    const sync = client.hold('sync');
    const again = daemon.syncNow();
    await sync.started;
    client.live.onChanges({ siteId: 'site-north', at: clock.now() });
    client.live.onReady();
    sync.release();
    await again;
    timers.advance(LIVE_PULL_JITTER_MS);
    await daemon.whenIdle();
    expect(client.calls).toEqual(['sync', 'pull', 'sync', 'sync', 'pull']);
    expect(client.maxInFlight).toBe(1);
    daemon.stop();
    expect(timers.pending).toBe(0);
  });
});
