import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENT_DEVICES } from '../../protocol/wire.js';
import { BUSY_HOLD_WINDOWS, ChangeNotifier, notificationChannel, notifyRevoked, notifySites, type SiteChanges } from '../../server/sync/notifier.js';
import { ManualClock } from '../support/device.js';
import { NORTH, SOUTH, startTestServer, type TestServer } from '../support/server.js';
import { FakeTimers } from '../sync/support/timers.js';

/**
 * How often the office tells a site's devices that something committed (issue 7: 50 devices of
 * one site pushing at once made 7,050 notifications, each one a pull by every device). Commits
 * go through the database's NOTIFY as the office's own do; the window runs on manual timers.
 */
const WINDOW_MS = 250;
let server: TestServer;
let notifier: ChangeNotifier;
let timers: FakeTimers;

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => notifier?.stop());
afterAll(async () => server?.close());

async function startNotifier(): Promise<void> {
  timers = new FakeTimers(new ManualClock());
  notifier = new ChangeNotifier(server.database, notificationChannel(server.database.schema), pino({ level: 'silent' }), { windowMs: WINDOW_MS, timers });
  await notifier.start();
}

/** A device's event stream: what it was told. */
function listen(deviceId: string, siteId: string): { heard: SiteChanges[]; revoked: number[] } {
  const stream = { heard: [] as SiteChanges[], revoked: [] as number[] };
  notifier.subscribe({ deviceId, siteId, changes: (event) => stream.heard.push(event), revoked: (at) => stream.revoked.push(at), missed: () => undefined });
  return stream;
}

const commit = (siteId: string, at: number, pushedBy?: string) => notifySites(server.database.db, notifier.channel, [siteId], at, pushedBy);

/** Waits in real time (at most ~10 s) for a notification to arrive; the test fails if it never does. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(condition()).toBe(true);
}

let markers = 0;

/**
 * Every notification committed so far has been heard: revocations are told at once, and
 * notifications arrive in commit order.
 */
async function heardEverything(): Promise<void> {
  const marker = listen(`marker-${++markers}`, SOUTH);
  await notifyRevoked(server.database.db, notifier.channel, `marker-${markers}`, 1);
  await until(() => marker.revoked.length === 1);
}

/** Closes every window the test left open, telling what they held; bounded. */
function closeWindows(): void {
  for (let i = 0; i < 100 && timers.fireNext(); i++);
  expect(timers.pending).toBe(0);
}

describe('live notifications at the office', () => {
  it('tells a lone office edit at once, then a burst of commits in one event as its window closes, with the latest time and who made them', async () => {
    await startNotifier();
    const cab = listen('cab-1', NORTH);
    const kiosk = listen('kiosk-1', NORTH);

    await commit(NORTH, 1_000);
    await until(() => cab.heard.length === 1);
    expect(cab.heard).toEqual([{ at: 1_000, by: { devices: [], office: true } }]);

    // 200 commits within the window: pushes of two devices and an office edit.
    for (let i = 0; i < 200; i++) await commit(NORTH, 1_001 + i, i === 150 ? undefined : ['cab-2', 'cab-1'][i % 2]);
    await heardEverything();
    expect(cab.heard).toHaveLength(1);
    expect(timers.fireNext()).toBe(true);
    expect(cab.heard).toEqual([
      { at: 1_000, by: { devices: [], office: true } },
      { at: 1_200, by: { devices: ['cab-1', 'cab-2'], office: true } },
    ]);
    expect(kiosk.heard).toEqual(cab.heard);

    // Quiet for a window: the next commit is told at once again, without waiting for a timer.
    closeWindows();
    await commit(NORTH, 2_000, 'cab-2');
    await until(() => cab.heard.length === 3);
    expect(cab.heard[2]).toEqual({ at: 2_000, by: { devices: ['cab-2'], office: false } });
    closeWindows();
  });

  it('tells each window at most once however long the burst lasts, and always its last commit', async () => {
    await startNotifier();
    const cab = listen('cab-1', NORTH);
    const windows = 5;
    let at = 10_000;
    for (let window = 0; window < windows; window++) {
      for (let i = 0; i < 40; i++) await commit(NORTH, ++at, 'cab-9');
      await heardEverything();
      expect(cab.heard).toHaveLength(window + 1);
      // Each timer that fires closes the window the previous event opened.
      expect(timers.fireNext()).toBe(true);
    }
    expect(cab.heard).toHaveLength(windows + 1);
    expect(cab.heard.at(-1)).toEqual({ at, by: { devices: ['cab-9'], office: false } });
    closeWindows();
    expect(cab.heard).toHaveLength(windows + 1);
  });

  it(`leaves out who made a burst of more than ${MAX_EVENT_DEVICES} devices' pushes, so that every device pulls`, async () => {
    await startNotifier();
    const cab = listen('cab-1', NORTH);
    await commit(NORTH, 1);
    await until(() => cab.heard.length === 1);
    for (let device = 0; device <= MAX_EVENT_DEVICES; device++) await commit(NORTH, 2, `cab-${device}`);
    await heardEverything();
    expect(timers.fireNext()).toBe(true);
    expect(cab.heard[1]).toEqual({ at: 2 });
    closeWindows();
  });

  it(`holds commits while the office's sync work is queueing, ${BUSY_HOLD_WINDOWS} windows at most, and tells them at once when it is not`, async () => {
    await startNotifier();
    let busy = true;
    notifier.paceBy(() => busy);
    const cab = listen('cab-1', NORTH);

    // Busy throughout: even a lone commit waits, but no longer than the windows allowed.
    await commit(NORTH, 1);
    await heardEverything();
    for (let window = 0; window < BUSY_HOLD_WINDOWS; window++) {
      expect(cab.heard).toEqual([]);
      expect(timers.fireNext()).toBe(true);
    }
    expect(cab.heard).toEqual([{ at: 1, by: { devices: [], office: true } }]);
    closeWindows();

    // Held while busy, told as the window closes once the queue is gone.
    await commit(NORTH, 2, 'cab-2');
    await commit(NORTH, 3, 'cab-3');
    await heardEverything();
    expect(timers.fireNext()).toBe(true);
    busy = false;
    expect(cab.heard).toHaveLength(1);
    expect(timers.fireNext()).toBe(true);
    expect(cab.heard[1]).toEqual({ at: 3, by: { devices: ['cab-2', 'cab-3'], office: false } });

    // Not busy: a lone commit is told at once again.
    closeWindows();
    await commit(NORTH, 4);
    await until(() => cab.heard.length === 3);
    closeWindows();
  });

  it('tells a device revoked while its window was open nothing of what the window held', async () => {
    await startNotifier();
    const revoked = listen('cab-revoked', NORTH);
    const bystander = listen('cab-bystander', NORTH);
    await commit(NORTH, 1);
    await until(() => revoked.heard.length === 1);
    await commit(NORTH, 2);
    await notifyRevoked(server.database.db, notifier.channel, 'cab-revoked', 3);
    await commit(NORTH, 4);
    await heardEverything();
    expect(revoked.revoked).toEqual([3]);
    expect(timers.fireNext()).toBe(true);
    expect(bystander.heard.map((event) => event.at)).toEqual([1, 4]);
    expect(revoked.heard.map((event) => event.at)).toEqual([1]);
    closeWindows();
  });
});
