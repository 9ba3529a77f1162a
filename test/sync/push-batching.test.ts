import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncDaemon } from '../../main/core/sync/daemon.js';
import { networkError, SyncError } from '../../main/core/sync/errors.js';
import { PushPacer, pushTimeoutMs } from '../../main/core/sync/push.js';
import { FetchTransport, type PostOptions, type SyncTransport, type TransportResponse } from '../../main/core/sync/transport.js';
import { MAX_PUSH_ENTRIES, PUSH_TIMEOUT } from '../../protocol/wire.js';
import { INSPECTOR, SeededRandomness } from '../support/device.js';
import { noteCreate } from '../support/actions.js';
import { FakeTimers } from './support/timers.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

const PUSH = '/v1/sync/push';
const SECOND = 1000;

let world: SyncWorld;
beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

/** How the office answers the next push: after a while, busy (503), or not at all (the device's timeout runs out). */
type Answer = { afterMs: number } | { busy: { retryAfterMs: number } } | 'no-answer';

/**
 * The office as a loaded one looks to the device: each push is answered as the test scripted it
 * (quickly by default), the shared manual clock moved on by the time the answer took. It notes the
 * size and the timeout of every push the device tried.
 */
class LoadedOffice implements SyncTransport {
  readonly pushes: { entries: number; timeoutMs: number | undefined }[] = [];
  readonly #answers: Answer[] = [];

  constructor(private readonly inner: SyncTransport) {}

  next(...answers: Answer[]): void {
    this.#answers.push(...answers);
  }

  async post(path: string, body: unknown, headers: Record<string, string>, options?: PostOptions): Promise<TransportResponse> {
    if (path !== PUSH) return this.inner.post(path, body, headers, options);
    this.pushes.push({ entries: (body as { entries: unknown[] }).entries.length, timeoutMs: options?.timeoutMs });
    const answer = this.#answers.shift() ?? { afterMs: 200 };
    if (answer === 'no-answer') {
      world.clock.advance(options?.timeoutMs ?? 0);
      throw networkError(new Error('The operation was aborted due to timeout'));
    }
    if ('busy' in answer) {
      return { status: 503, body: { code: 'unavailable', message: 'the office is busy; try again shortly' }, retryAfterMs: answer.busy.retryAfterMs };
    }
    const response = await this.inner.post(path, body, headers, options);
    world.clock.advance(answer.afterMs);
    return response;
  }

  events: SyncTransport['events'] = (path, headers, handlers) => this.inner.events(path, headers, handlers);
}

async function loadedDevice(name: string, notes: number): Promise<{ device: FieldDevice; office: LoadedOffice }> {
  let office: LoadedOffice | null = null;
  const device = await world.addDevice(name, { transport: (http) => (office = new LoadedOffice(http)) });
  device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
  for (let i = 0; i < notes; i++) device.core.perform(noteCreate(`reefer ${i} at setpoint`));
  return { device, office: office! };
}

describe('push batches sized by how fast the office answers', () => {
  it('starts modest, doubles a full batch answered well within 5 s, shrinks after a slow answer, and gives each request time in proportion to its size', async () => {
    const { device, office } = await loadedDevice('cab-paced', 299);
    expect(device.client.outbox().pending).toBe(300);
    office.next({ afterMs: SECOND }, { afterMs: 12 * SECOND }, { afterMs: SECOND }, { afterMs: 4 * SECOND }, { afterMs: SECOND });

    await device.client.sync();

    // 50 answered in 1 s: 100. Answered in 12 s: 100 × 5/12 = 41. In 1 s: 82. In 4 s (within 5 s, not well within): 82 again.
    expect(office.pushes.map((push) => push.entries)).toEqual([50, 100, 41, 82, 27]);
    expect(office.pushes.map((push) => push.timeoutMs)).toEqual([13_500, 17_000, 12_870, 15_740, 11_890]);
    expect(device.client.outbox().pending).toBe(0);

    // The last batch was short: a quick answer to it says nothing of a bigger one, so the next push starts at 82.
    for (let i = 0; i < 100; i++) device.core.perform(noteCreate(`gate ${i} clear`));
    await device.client.sync();
    expect(office.pushes.slice(5).map((push) => push.entries)).toEqual([82, 18]);
  });

  it('halves the batch when the office is busy (and waits what it asked) or never answers, then grows again', async () => {
    const { device, office } = await loadedDevice('cab-busy-office', 99);
    const timers = new FakeTimers(world.clock);
    const daemon = new SyncDaemon({
      client: device.client,
      clock: world.clock,
      timers,
      random: new SeededRandomness('daemon:busy-office'),
      backoff: { initialMs: 2 * SECOND, maxMs: 60 * SECOND },
      live: false,
    });
    office.next({ busy: { retryAfterMs: 5 * SECOND } }, 'no-answer');

    daemon.start();
    await daemon.whenIdle();
    expect(daemon.status()).toMatchObject({ lastError: { code: 'unavailable', transient: true }, pending: 100 });
    expect(daemon.status().nextAttemptAt! - world.clock.now()).toBeGreaterThanOrEqual(5 * SECOND);

    expect(timers.fireNext()).toBe(true);
    await daemon.whenIdle();
    expect(daemon.status()).toMatchObject({ lastError: { code: 'network' }, pending: 100 });

    expect(timers.fireNext()).toBe(true);
    await daemon.whenIdle();
    expect(daemon.status()).toMatchObject({ lastError: null, pending: 0 });
    // 50 refused as busy: 25; 25 unanswered: 12; then quick answers double each full batch.
    expect(office.pushes.map((push) => push.entries)).toEqual([50, 25, 12, 24, 48, 16]);
    expect(office.pushes[1]!.timeoutMs).toBe(PUSH_TIMEOUT.baseMs + 25 * PUSH_TIMEOUT.perEntryMs);
    daemon.stop();
  });

  it('keeps batches between ten entries (or the configured most, when lower) and the most a request may hold, and timeouts within the longest', () => {
    const pacer = new PushPacer();
    for (let i = 0; i < 10; i++) pacer.answered(pacer.size, 100);
    expect(pacer.size).toBe(MAX_PUSH_ENTRIES);
    for (let i = 0; i < 10; i++) pacer.refused();
    expect(pacer.size).toBe(10);
    pacer.answered(10, 10 * 60 * SECOND);
    expect(pacer.size).toBe(10);

    const capped = new PushPacer(4);
    capped.answered(4, 100);
    expect(capped.size).toBe(4);
    capped.refused();
    expect(capped.size).toBe(4);

    expect(pushTimeoutMs(1)).toBe(PUSH_TIMEOUT.baseMs + PUSH_TIMEOUT.perEntryMs);
    expect(pushTimeoutMs(MAX_PUSH_ENTRIES)).toBe(PUSH_TIMEOUT.maxMs);
  });
});

describe('the HTTP transport', () => {
  let silent: Server;
  let url: string;
  beforeAll(async () => {
    // Takes every request and never answers, like an office whose queue is past the device's patience.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up on a request after the timeout it names, not its own (10 minutes here)', async () => {
    const transport = new FetchTransport(url, { timeoutMs: 10 * 60 * SECOND });
    const error = await transport.post(PUSH, {}, {}, { timeoutMs: 50 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: 'network', transient: true });
  });
});
