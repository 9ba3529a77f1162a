import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { type Signer, createSigner } from '../../protocol/crypto/ed25519.js';
import { bytesToHex } from '../../protocol/crypto/hash.js';
import { CURRENT_SCHEMA_VERSION, type DeviceKind, type EnrollResponse, signEnrollmentClaim } from '../../protocol/wire.js';
import { buildServer, closeServer } from '../../server/app.js';
import { hashSecret } from '../../server/auth.js';
import type { PasswordHasher } from '../../server/console/passwords.js';
import type { ConsoleSettings } from '../../server/console/session-policy.js';
import { type DatabaseTimeouts, type OfficeDatabase, openDatabase } from '../../server/db/connect.js';
import { upsertBootstrapAdmin } from '../../server/db/queries/identity.js';
import type { SyncAdmission } from '../../server/sync/admission.js';
import { CLERK, INSPECTOR, ManualClock, SeededRandomness } from './device.js';
import { NORTH } from './actions.js';

export { NORTH };

/**
 * The office service for tests: real Postgres in a fresh schema when DATABASE_URL is set (dropped
 * on close), PGlite in memory otherwise; a manual clock; listening on 127.0.0.1 on a free port.
 */
export interface TestServer {
  app: FastifyInstance;
  url: string;
  database: OfficeDatabase;
  clock: ManualClock;
  serverSigner: Signer;
  adminToken: string;
  /** Another instance on the same database (for cross-instance notification tests). */
  startPeer(): Promise<TestServer>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  clock?: ManualClock;
  maxClockSkewMs?: number;
  eventKeepAliveMs?: number;
  /** How the office reaches Postgres: another address (a proxy in front of DATABASE_URL), other timeouts. */
  database?: { url?: string; timeouts?: Partial<DatabaseTimeouts> };
  /** Turns for pushes and pulls on the first instance (peers get their own defaults). */
  syncAdmission?: SyncAdmission;
  /** The built office console to serve at /console/ (test/ui/browser.ts buildConsole). */
  consoleDir?: string;
  /** Console sessions and sign-in throttles other than the defaults. */
  console?: Partial<ConsoleSettings>;
  /** How every instance makes and checks console passwords (to count the checks). */
  passwordHasher?: PasswordHasher;
  /** The desktop update feed's directory. */
  updatesDir?: string;
  /** Where the office logs (silent, or WAYPOST_TEST_LOG_LEVEL, by default). */
  logger?: pino.Logger;
}

let schemaCounter = 0;

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const schema = `test_${process.pid}_${Date.now().toString(36)}_${schemaCounter++}`;
  const url = process.env.DATABASE_URL || undefined;
  const officeUrl = url && (options.database?.url ?? url);
  const timeouts = options.database?.timeouts;
  const database = await openDatabase({ url: officeUrl, schema, poolSize: 5, timeouts });
  await database.migrate();
  const clock = options.clock ?? new ManualClock();
  const adminToken = `wpo_test-admin-token-${schema}`;
  await upsertBootstrapAdmin(database.db, hashSecret(adminToken), clock.now());
  const serverSigner = createSigner(new SeededRandomness(`server:${schema}`).bytes(32), 'node');

  const instances: FastifyInstance[] = [];
  const listen = async (db: OfficeDatabase): Promise<{ app: FastifyInstance; url: string }> => {
    const app = await buildServer({
      database: db,
      clock,
      random: new SeededRandomness(`random:${schema}:${instances.length}`),
      serverSigner,
      logger: options.logger ?? pino({ level: process.env.WAYPOST_TEST_LOG_LEVEL ?? 'silent' }),
      config: {
        maxClockSkewMs: options.maxClockSkewMs ?? 24 * 60 * 60 * 1000,
        eventKeepAliveMs: options.eventKeepAliveMs,
        console: options.console,
        consoleDir: options.consoleDir,
        updatesDir: options.updatesDir,
      },
      syncAdmission: instances.length === 0 ? options.syncAdmission : undefined,
      passwordHasher: options.passwordHasher,
    });
    instances.push(app);
    return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
  };

  const primary = await listen(database);
  const peers: OfficeDatabase[] = [];
  const server: TestServer = {
    ...primary,
    database,
    clock,
    serverSigner,
    adminToken,
    async startPeer() {
      // PGlite lives in this process: a peer shares the handle; Postgres peers get their own pool.
      const peerDb = officeUrl ? await openDatabase({ url: officeUrl, schema, poolSize: 3, timeouts }) : database;
      if (peerDb !== database) peers.push(peerDb);
      const peer = await listen(peerDb);
      return { ...server, ...peer, database: peerDb };
    },
    async close() {
      for (const app of instances.reverse()) await closeServer(app, 100);
      for (const peer of peers) await peer.close();
      await database.close();
      if (url) await dropSchema(url, schema);
    },
  };
  return server;
}

/** Removes a throwaway Postgres schema and all it holds. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** An office reached over HTTP, or in process through Fastify's inject (the simulation). */
export type Reachable = Pick<TestServer, 'url'> | { app: FastifyInstance; url?: undefined };

/** One HTTP request to the test server, JSON in and out. */
export async function call<T = any>(server: Reachable, method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer<T>> {
  const { headers: _headers, ...answer } = await exchange<T>(server, method, path, options);
  return answer;
}

/** `call`, with the answer's headers (cookies set, Retry-After). */
export async function exchange<T = any>(server: Reachable, method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer<T> & { headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined || options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  if (server.url === undefined) {
    const answer = await server.app.inject({ method: method as 'GET', url: path, headers, ...(body === undefined ? {} : { payload: body }) });
    const answered = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) answered.set(name, String(value));
    return { status: answer.statusCode, body: answer.body ? JSON.parse(answer.body) : null, headers: answered };
  }
  const response = await fetch(`${server.url}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

export const SOUTH = 'site-south';
/** An inspector based at the south yard (work orders assigned to them reach south devices). */
export const SOUTH_INSPECTOR = { operatorId: 'op-sam', badgeId: 'B300', pin: '2468', displayName: 'Sam South', role: 'inspector' as const };

export interface SeededOrganisation {
  organisationId: string;
  dispatcherToken: string;
}

/**
 * An organisation with a north and a south yard, the two device test operators (test/support
 * device.ts) at the north yard, one inspector at the south yard, and a dispatcher.
 */
export async function seedOrganisation(server: Reachable & Pick<TestServer, 'adminToken'>): Promise<SeededOrganisation> {
  const admin = { token: server.adminToken };
  const ok = (answer: ApiAnswer, what: string) => {
    if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  ok(await call(server, 'POST', '/v1/admin/organisations', { ...admin, body: { id: 'org-1', name: 'Harbor Haulage' } }), 'organisation');
  for (const [id, name] of [
    [NORTH, 'North yard'],
    [SOUTH, 'South yard'],
  ]) {
    ok(await call(server, 'POST', '/v1/admin/sites', { ...admin, body: { id, organisationId: 'org-1', name } }), `site ${id}`);
  }
  for (const [operator, siteId] of [
    [INSPECTOR, NORTH],
    [CLERK, NORTH],
    [SOUTH_INSPECTOR, SOUTH],
  ] as const) {
    const { operatorId, ...rest } = operator;
    ok(await call(server, 'POST', '/v1/admin/operators', { ...admin, body: { id: operatorId, siteId, ...rest } }), `operator ${operatorId}`);
  }
  const dispatcher = ok(
    await call(server, 'POST', '/v1/admin/users', { ...admin, body: { id: 'user-dora', organisationId: 'org-1', name: 'Dora Dispatcher', role: 'dispatcher' } }),
    'dispatcher',
  );
  return { organisationId: 'org-1', dispatcherToken: dispatcher.token };
}

export async function issueEnrollmentToken(server: Reachable & Pick<TestServer, 'adminToken'>, siteId: string, kind: DeviceKind, ttlMs?: number): Promise<string> {
  const answer = await call(server, 'POST', '/v1/admin/enrollment-tokens', { token: server.adminToken, body: { siteId, kind, ttlMs } });
  if (answer.status !== 201) throw new Error(`enrollment token: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.token;
}

/** The enrollment request a device makes, signed with its identity key. */
export function enrollmentRequest(token: string, deviceId: string, deviceSigner: Signer, kind: DeviceKind = 'cab') {
  const claim = { token, deviceId, publicKey: bytesToHex(deviceSigner.publicKey), kind };
  return { schemaVersion: CURRENT_SCHEMA_VERSION, claim, proof: signEnrollmentClaim(claim, deviceSigner) };
}

/** Issues a token for `siteId` and enrolls the device with it; returns the enrollment answer. */
export async function enrollDevice(
  server: TestServer,
  device: { deviceId: string; deviceSigner: Signer },
  siteId = NORTH,
  kind: DeviceKind = 'cab',
): Promise<EnrollResponse> {
  const token = await issueEnrollmentToken(server, siteId, kind);
  const answer = await call<EnrollResponse>(server, 'POST', '/v1/enroll', { body: enrollmentRequest(token, device.deviceId, device.deviceSigner, kind) });
  if (answer.status !== 201) throw new Error(`enrollment: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Row counts of the tables a push or an office write may write, to prove a request wrote nothing. */
const COUNTED_TABLES = [
  'journal_entries',
  'records',
  'record_versions',
  'record_writes',
  'review_items',
  'changes',
  'device_flags',
  'devices',
  'enrollment_tokens',
] as const;

export async function countRows(database: OfficeDatabase): Promise<Record<(typeof COUNTED_TABLES)[number], number>> {
  const tables = COUNTED_TABLES;
  const counts = {} as Record<(typeof COUNTED_TABLES)[number], number>;
  for (const table of tables) {
    const result = (await database.db.execute(sql.raw(`SELECT count(*)::int AS n FROM ${table}`))) as unknown as { rows: { n: number }[] };
    counts[table] = Number(result.rows[0]!.n);
  }
  return counts;
}

export interface EventStream {
  /** The next event of that name (earlier events of other names are skipped); fails after `timeoutMs`. */
  next(event: string, timeoutMs?: number): Promise<{ event: string; data: any }>;
  /** Every event left until the office ends the stream; fails if it is still open after `timeoutMs`. */
  untilEnd(timeoutMs?: number): Promise<{ event: string; data: any }[]>;
  close(): void;
}

/** Opens the device's Server-Sent Events stream and reads it event by event. */
export async function openEventStream(server: Pick<TestServer, 'url'>, credential: string): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/v1/sync/events`, {
    headers: { authorization: `Bearer ${credential}`, 'waypost-schema-version': '1' },
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`event stream: ${response.status} ${await response.text()}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  /** The next event, or null once the stream has ended. */
  const readEvent = async (): Promise<{ event: string; data: any } | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) return { event, data: JSON.parse(data) };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value;
    }
  };
  /** Runs `read` with `timeoutMs` as a hang guard. */
  const guarded = async <T>(timeoutMs: number, what: string, read: (timeout: Promise<never>) => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await read(timeout);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    next: (event, timeoutMs = 10_000) =>
      guarded(timeoutMs, `no "${event}" event`, async (timeout) => {
        for (;;) {
          const received = await Promise.race([readEvent(), timeout]);
          if (!received) throw new Error('event stream ended');
          if (received.event === event) return received;
        }
      }),
    untilEnd: (timeoutMs = 10_000) =>
      guarded(timeoutMs, 'the event stream did not end', async (timeout) => {
        const events = [];
        for (let received = await Promise.race([readEvent(), timeout]); received; received = await Promise.race([readEvent(), timeout])) events.push(received);
        return events;
      }),
    close: () => abort.abort(),
  };
}

/** The first `changes` event telling of commits at `at` or later (a stream may still hear of earlier ones first: notifications cross instances through the database, and a site's window may hold pushes). */
export async function changesFrom(stream: EventStream, at: number): Promise<unknown> {
  for (let skipped = 0; skipped < 10; skipped++) {
    const { data } = await stream.next('changes');
    if (data.at >= at) return data;
  }
  throw new Error(`no changes event from ${at}`);
}
