import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOffice } from '../../main/core/sync/api.js';
import { SyncDaemon } from '../../main/core/sync/daemon.js';
import { SyncError } from '../../main/core/sync/errors.js';
import { FetchTransport, type SyncTransport, type TransportResponse } from '../../main/core/sync/transport.js';
import { pullResponseSchema } from '../../protocol/wire.js';
import { INSPECTOR, SeededRandomness } from '../support/device.js';
import { noteCreate } from '../support/actions.js';
import { FakeTimers } from './support/timers.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

const MINUTE = 60_000;

describe('an office that answers 503 with Retry-After', () => {
  let office: Server;
  let url: string;
  let retryAfter: string | null = null;

  beforeAll(async () => {
    office = createServer((_request, response) => {
      response.writeHead(503, { 'content-type': 'application/json', ...(retryAfter === null ? {} : { 'retry-after': retryAfter }) });
      response.end(JSON.stringify({ code: 'unavailable', message: 'the office cannot reach its database right now' }));
    });
    await new Promise<void>((resolve) => office.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(office.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => office.close(resolve));
  });

  const pullFromOffice = () => callOffice(new FetchTransport(url, { timeoutMs: 20_000 }), '/v1/sync/pull', {}, pullResponseSchema, {});

  it('is a transient failure that carries the wait the office asked for, in seconds or as a date', async () => {
    retryAfter = '30';
    const error = await pullFromOffice().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: 'unavailable', status: 503, transient: true, retryAfterMs: 30_000, message: 'the office cannot reach its database right now' });

    retryAfter = new Date(Date.now() + 10 * MINUTE).toUTCString();
    const dated = (await pullFromOffice().catch((caught: unknown) => caught)) as SyncError;
    expect(dated.retryAfterMs).toBeGreaterThan(8 * MINUTE);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(10 * MINUTE);

    retryAfter = null;
    expect(await pullFromOffice().catch((caught: unknown) => caught)).toMatchObject({ transient: true, retryAfterMs: undefined });
  });
});

describe('the sync daemon, told to retry after a while', () => {
  let world: SyncWorld;
  beforeAll(async () => {
    world = await SyncWorld.start();
  });
  afterAll(async () => world?.close());

  /** The office in front of the device answers every request 503 with Retry-After `retryAfterMs` while that is set. */
  class BusyOffice implements SyncTransport {
    retryAfterMs: number | null = null;
    constructor(private readonly inner: SyncTransport) {}
    async post(path: string, body: unknown, headers: Record<string, string>): Promise<TransportResponse> {
      if (this.retryAfterMs === null) return this.inner.post(path, body, headers);
      return { status: 503, body: { code: 'unavailable', message: 'the office cannot reach its database right now' }, retryAfterMs: this.retryAfterMs };
    }
    events: SyncTransport['events'] = (path, headers, handlers) => this.inner.events(path, headers, handlers);
  }

  it('waits at least Retry-After before the next attempt (at most its longest backoff), then syncs what was pending', async () => {
    let office: BusyOffice | null = null;
    const cab: FieldDevice = await world.addDevice('cab-retry-after', { transport: (http) => (office = new BusyOffice(http)) });
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    cab.core.perform(noteCreate('yard flooded, gate 3 closed'));
    const timers = new FakeTimers(world.clock);
    const daemon = new SyncDaemon({
      client: cab.client,
      clock: world.clock,
      timers,
      random: new SeededRandomness('daemon:retry-after'),
      intervalMs: 5 * MINUTE,
      backoff: { initialMs: 2_000, maxMs: 2 * MINUTE },
      live: false,
    });
    const waitBeforeNextAttempt = () => daemon.status().nextAttemptAt! - world.clock.now();
    const nextAttempt = async () => {
      expect(timers.fireNext()).toBe(true);
      await daemon.whenIdle();
    };

    // The first backoff would be 1–2 s; the office asked for 45 s, twice.
    office!.retryAfterMs = 45_000;
    daemon.start();
    await daemon.whenIdle();
    expect(daemon.status()).toMatchObject({ lastError: { code: 'unavailable', transient: true }, consecutiveFailures: 1, pending: 2 });
    expect(waitBeforeNextAttempt()).toBeGreaterThanOrEqual(45_000);
    await nextAttempt();
    expect(waitBeforeNextAttempt()).toBeGreaterThanOrEqual(45_000);

    // A day is beyond reason: the device waits its longest backoff instead.
    office!.retryAfterMs = 24 * 60 * MINUTE;
    await nextAttempt();
    expect(waitBeforeNextAttempt()).toBe(2 * MINUTE);

    office!.retryAfterMs = null;
    await nextAttempt();
    expect(daemon.status()).toMatchObject({ lastError: null, consecutiveFailures: 0, pending: 0 });
    daemon.stop();
  });
});
