import { spawn } from 'node:child_process';
import net from 'node:net';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readSyncValue } from '../../db/queries/sync.js';
import { SyncError } from '../../main/core/sync/errors.js';
import { type DatabaseTimeouts, openDatabase } from '../../server/db/connect.js';
import { RETRY_AFTER_SECONDS } from '../../server/errors.js';
import { INSPECTOR } from '../support/device.js';
import { noteCreate } from '../support/actions.js';
import { openEventStream, startTestServer } from '../support/server.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { SyncWorld } from '../sync/support/world.js';

/**
 * The office when its database is away: never a hang, never a 500. Requests answer 503 with
 * Retry-After, /ready says why within its own timeout, and start-up fails with a clear message.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL;

/** A server on 127.0.0.1 that accepts connections, reads what it is sent and never answers. */
async function startSilentDatabase(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/waypost`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('starting against a database that does not answer', () => {
  it('fails with the database named and the wait it gave up after, when it accepts connections and never answers', async () => {
    const silent = await startSilentDatabase();
    try {
      const opening = openDatabase({ url: silent.url, timeouts: { connectMs: 300 } });
      await expect(opening).rejects.toThrow(/^cannot use the database at 127\.0\.0\.1:\d+\/waypost: it did not answer within 300 ms$/);
    } finally {
      await silent.close();
    }
  });

  it('fails saying the database refused, when nothing listens there', async () => {
    const port = await closedPort();
    await expect(openDatabase({ url: `postgres://postgres@127.0.0.1:${port}/waypost` })).rejects.toThrow(
      new RegExp(`^cannot use the database at 127\\.0\\.0\\.1:${port}/waypost: it refused the connection`),
    );
  });

  it('the service process says so on stderr and exits non-zero', async () => {
    const silent = await startSilentDatabase();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
        cwd: REPO,
        env: {
          ...process.env,
          DATABASE_URL: silent.url,
          WAYPOST_SERVER_KEY: 'ab'.repeat(32),
          WAYPOST_DB_CONNECT_TIMEOUT_MS: '300',
          WAYPOST_PORT: '0',
          WAYPOST_LOG_LEVEL: 'silent',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Hang guard far above the 300 ms the service is configured to wait (tsx compiles first).
      const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
      clearTimeout(guard);
      expect(stderr).toMatch(/cannot use the database at 127\.0\.0\.1:\d+\/waypost: it did not answer within 300 ms/);
      expect(code).toBe(1);
    } finally {
      await silent.close();
    }
  }, 90_000);
});

describe('a database closed under a running office (either backend)', () => {
  it('answers a push 503 with Retry-After instead of 500', async () => {
    const server = await startTestServer();
    try {
      await server.database.close();
      const response = await fetch(`${server.url}/v1/sync/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer wpd_some-device-credential' },
        body: JSON.stringify({ schemaVersion: 1, deviceId: 'cab-1', sentAt: 0, entries: [] }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
      expect(await response.json()).toEqual({ code: 'unavailable', message: `the office cannot reach its database right now; try again in ${RETRY_AFTER_SECONDS} s` });
    } finally {
      await server.close();
    }
  });
});

/**
 * Through a TCP proxy between the office and the Postgres of DATABASE_URL, which the tests cut.
 * Short timeouts keep each cut to a few seconds; the statement timeout still leaves start-up
 * (migrations) room on a loaded machine.
 */
const TIMEOUTS: DatabaseTimeouts = { connectMs: 2_000, statementMs: 4_000, queryMs: 5_000, idleInTransactionMs: 60_000 };

describe.skipIf(!DATABASE_URL)('a database cut off by the network (Postgres through a TCP proxy; skipped without DATABASE_URL)', () => {
  let proxy: TcpProxy;
  let world: SyncWorld;
  let direct: pg.Client;

  beforeAll(async () => {
    const target = new URL(DATABASE_URL!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    world = await SyncWorld.start({ database: { url: proxy.urlFor(DATABASE_URL!), timeouts: TIMEOUTS } });
    direct = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
    await direct.connect();
  });
  afterEach(() => proxy?.heal());
  afterAll(async () => {
    await direct?.end();
    await world?.close();
    await proxy?.close();
  });

  async function readiness() {
    const response = await fetch(`${world.server.url}/ready`);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
  }

  /** The device's journal as the office holds it: entries, distinct sequence numbers, the highest. */
  async function storedJournal(deviceId: string) {
    const { rows } = await direct.query<{ entries: number; seqs: number; last: number | null }>(
      `SELECT count(*)::int AS entries, count(DISTINCT seq)::int AS seqs, max(seq) AS last FROM "${world.server.database.schema}".journal_entries WHERE device_id = $1`,
      [deviceId],
    );
    return rows[0]!;
  }

  async function recordCopies(recordId: string): Promise<number> {
    const { rows } = await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${world.server.database.schema}".records WHERE id = $1`, [recordId]);
    return rows[0]!.n;
  }

  /** Sessions the office opened through the proxy that are inside a transaction. */
  async function openTransactions(): Promise<number> {
    const { rows } = await direct.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE client_port = ANY($1::int[]) AND xact_start IS NOT NULL`,
      [proxy.upstreamPorts],
    );
    return rows[0]!.n;
  }

  /** Polls `check` (at most ~15 s) until it holds; returns its last value. */
  async function eventually<T>(read: () => Promise<T>, holds: (value: T) => boolean): Promise<T> {
    let value = await read();
    for (let i = 0; i < 150 && !holds(value); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      value = await read();
    }
    return value;
  }

  async function cabWithPendingNote(name: string, text: string) {
    const cab = await world.addDevice(name);
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const { seq, record } = cab.core.perform(noteCreate(text));
    return { cab, lastSeq: seq, recordId: record.id };
  }

  const unavailable = { code: 'unavailable', status: 503, transient: true, retryAfterMs: RETRY_AFTER_SECONDS * 1000 };

  it('during a partition a push and /ready answer 503 with Retry-After; once healed the same push is stored once', async () => {
    const { cab, lastSeq, recordId } = await cabWithPendingNote('cab-partition', 'reefer unit 7 alarm');
    proxy.partition();

    const failed = await cab.client.sync().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(SyncError);
    expect(failed).toMatchObject(unavailable);
    const ready = await readiness();
    expect(ready).toEqual({
      status: 503,
      retryAfter: String(RETRY_AFTER_SECONDS),
      body: { code: 'unavailable', message: 'not ready: database did not answer within 1000 ms', ready: false, reason: 'database did not answer within 1000 ms' },
    });
    expect(cab.client.outbox().pending).toBeGreaterThan(0);

    proxy.heal();
    await cab.client.sync();
    expect(cab.client.outbox().pending).toBe(0);
    expect(await storedJournal(cab.core.deviceId)).toEqual({ entries: lastSeq, seqs: lastSeq, last: lastSeq });
    expect(await recordCopies(recordId)).toBe(1);
    expect((await readiness()).status).toBe(200);
  });

  it('a push cut off inside its transaction is never completed by a later request; once healed it goes through, stored once', async () => {
    const a = await cabWithPendingNote('cab-cut-off', 'chassis 44 brake line');
    const b = await cabWithPendingNote('cab-after-heal', 'lot C lights out');
    // The push's journal rows reach the database inside its transaction; the answer, and all after it, do not.
    proxy.partitionAfter('INSERT INTO "journal_entries"');
    expect(await a.cab.client.sync().catch((error: unknown) => error)).toMatchObject(unavailable);

    // Another device syncs first once the network is back. Had the office kept the cut-off
    // connection, with the database still inside that transaction, this sync would run in it and
    // commit half a push: journal rows without their records or the device's chain position.
    proxy.heal();
    await b.cab.client.sync();
    await a.cab.client.sync();
    for (const { cab, lastSeq, recordId } of [a, b]) {
      expect(await storedJournal(cab.core.deviceId)).toEqual({ entries: lastSeq, seqs: lastSeq, last: lastSeq });
      expect(await recordCopies(recordId)).toBe(1);
    }
    expect(await eventually(openTransactions, (open) => open === 0)).toBe(0);
  });

  it('with its connections reset a push and /ready answer 503, not 500, also when the reset hits a push inside its transaction', async () => {
    const { cab, lastSeq, recordId } = await cabWithPendingNote('cab-reset', 'gate 2 arm stuck open');
    proxy.partitionAfter('for update');
    const pushing = cab.client.sync().catch((error: unknown) => error);
    expect(await eventually(async () => proxy.partitioned, (partitioned) => partitioned)).toBe(true);
    proxy.reset();
    expect(await pushing).toMatchObject(unavailable);

    expect(await cab.client.sync().catch((error: unknown) => error)).toMatchObject(unavailable);
    const ready = await readiness();
    expect(ready.status).toBe(503);
    expect(ready.retryAfter).toBe(String(RETRY_AFTER_SECONDS));
    expect(ready.body.reason).toMatch(/^database unreachable: /);

    proxy.heal();
    await cab.client.sync();
    expect(await storedJournal(cab.core.deviceId)).toEqual({ entries: lastSeq, seqs: lastSeq, last: lastSeq });
    expect(await recordCopies(recordId)).toBe(1);
  });

  /**
   * Seeded and reproducible (FUZZ_SEED): requests of every kind the office serves, valid and
   * hostile, sent all at once while the database is partitioned or its connections reset. Each is
   * answered, and only ever with a 4xx it earned without the database or a 503 with Retry-After.
   */
  it('answers every kind of request 503 with Retry-After or a 4xx while the database is away, never another 5xx and never not at all', async () => {
    const { cab } = await cabWithPendingNote('cab-away-fuzz', 'fuzzed while away');
    const seed = Number(process.env.FUZZ_SEED ?? 20261201);
    const admin = { authorization: `Bearer ${world.server.adminToken}` };
    const device = { authorization: `Bearer ${(readSyncValue(cab.core.database.db, 'enrollment') as { credential: string }).credential}` };
    const json = (body: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });
    const kinds = fc.constantFrom(
      { method: 'POST', path: '/v1/sync/push', headers: device, ...json({ schemaVersion: 1, deviceId: cab.core.deviceId, sentAt: 1, entries: [{}] }) },
      { method: 'POST', path: '/v1/sync/pull', headers: device, ...json({ schemaVersion: 1 }) },
      { method: 'GET', path: '/v1/sync/events', headers: { ...device, 'waypost-schema-version': '1' } },
      { method: 'POST', path: '/v1/enroll', headers: {}, ...json({ schemaVersion: 1, claim: { token: 'x'.repeat(20), deviceId: 'dev-away', publicKey: 'ab'.repeat(32), kind: 'cab' }, proof: `${'A'.repeat(86)}==` }) },
      { method: 'POST', path: '/v1/admin/sites', headers: admin, ...json({ organisationId: 'org-1', name: 'Away yard' }) },
      { method: 'GET', path: '/v1/admin/devices', headers: admin },
      { method: 'POST', path: '/v1/office/work-orders', headers: admin, ...json({ siteId: 'site-north', title: 'while away' }) },
      { method: 'GET', path: '/v1/audit/export?deviceId=dev-x', headers: admin },
      { method: 'GET', path: '/v1/office/review-items', headers: admin },
      { method: 'POST', path: '/v1/attachments', headers: device, ...json({ schemaVersion: 1, sha256: 'f'.repeat(64), size: 10, mimeType: 'image/jpeg' }) },
      { method: 'GET', path: '/ready', headers: {} },
      { method: 'GET', path: '/health', headers: {} },
      { method: 'POST', path: '/v1/sync/push', headers: device, 'content-type': 'text/plain', body: 'hello' },
      { method: 'GET', path: '/v1/nowhere', headers: admin },
    );
    const requests = fc.sample(fc.array(kinds, { minLength: 30, maxLength: 30 }), { seed, numRuns: 1 })[0]!;
    for (const cut of ['partition', 'reset'] as const) {
      proxy[cut]();
      const answers = await Promise.all(
        requests.map(async ({ method, path, headers, ...rest }) => {
          const { 'content-type': type, body } = rest as { 'content-type'?: string; body?: string };
          const response = await fetch(`${world.server.url}${path}`, { method, headers: { ...headers, ...(type ? { 'content-type': type } : {}) }, body });
          await response.body?.cancel();
          return { what: `${cut} ${method} ${path} → ${response.status}`, status: response.status, retryAfter: response.headers.get('retry-after') };
        }),
      );
      for (const { what, status, retryAfter } of answers) {
        if (status === 503) expect(retryAfter, what).toBe(String(RETRY_AFTER_SECONDS));
        else expect(status === 200 || (status >= 400 && status < 500), what).toBe(true);
      }
      expect(answers.some(({ status }) => status === 503)).toBe(true);
      proxy.heal();
    }
    // Once healed the device syncs as if nothing happened.
    await cab.client.sync();
    expect(cab.client.outbox().pending).toBe(0);
  });

  it('ends the event streams when its listening connection was lost, so a device revoked meanwhile is refused on reconnecting', async () => {
    const { cab } = await cabWithPendingNote('cab-listen-gap', 'listening gap');
    const credential = (readSyncValue(cab.core.database.db, 'enrollment') as { credential: string }).credential;
    const stream = await openEventStream(world.server, credential);
    await stream.next('ready');
    proxy.reset();
    // While this office cannot hear notifications, another one revokes the device; its notice is lost here.
    await direct.query(`UPDATE "${world.server.database.schema}".devices SET revoked_at = 1 WHERE id = $1`, [cab.core.deviceId]);
    proxy.heal();

    const events = await stream.untilEnd(30_000);
    expect(events.map((event) => event.event)).toEqual([]);
    const again = await fetch(`${world.server.url}/v1/sync/events`, { headers: { authorization: `Bearer ${credential}`, 'waypost-schema-version': '1' } });
    expect(again.status).toBe(403);
    expect(((await again.json()) as { code: string }).code).toBe('device-revoked');
  });

  it('closes its database connections during a partition without waiting for the database', async () => {
    const database = await openDatabase({ url: proxy.urlFor(DATABASE_URL!), schema: world.server.database.schema, timeouts: TIMEOUTS });
    await database.listen('waypost_close_probe', () => {});
    proxy.partition();
    // The hang guard is the test's own timeout, far above the connect timeout that bounds the goodbye.
    await expect(database.close()).resolves.toBeUndefined();
  });
});
