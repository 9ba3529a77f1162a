import { scryptSync } from 'node:crypto';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createSigner } from '../../../protocol/crypto/ed25519.js';
import type { Randomness } from '../../../protocol/runtime.js';
import { buildServer, closeServer } from '../../../server/app.js';
import { hashSecret } from '../../../server/auth.js';
import type { OfficeFaults } from '../../../server/context.js';
import { type OfficeDatabase, openDatabase } from '../../../server/db/connect.js';
import { upsertBootstrapAdmin } from '../../../server/db/queries/identity.js';
import { CLERK, INSPECTOR, ManualClock, SeededRandomness } from '../../support/device.js';
import { issueEnrollmentToken, SOUTH_INSPECTOR, seedOrganisation } from '../../support/server.js';

/**
 * The office of the simulation: one embedded PGlite per test file, reset to the seeded
 * organisation between seeds, reached through Fastify's inject. Its randomness is reseeded per
 * seed, so office ids replay too. The office can be killed at any query of a request (every query
 * after it fails, and an open transaction rolls back) and restarted on the same store.
 */
const SCHEMA = 'sim';
/** Tables the organisation's seeding writes: kept across seeds, everything else is emptied. */
const SEEDED = ['organisations', 'sites', 'operators', 'office_users', 'counters', 'changes'];

/** Randomness whose seed the simulation sets per run. */
export class ReseedableRandomness implements Randomness {
  #inner: SeededRandomness;
  constructor(seed: string) {
    this.#inner = new SeededRandomness(seed);
  }
  reseed(seed: string): void {
    this.#inner = new SeededRandomness(seed);
  }
  bytes(length: number): Uint8Array {
    return this.#inner.bytes(length);
  }
}

/** Kills the office at a chosen query: that query and every one after it fail until a restart. */
export class OfficeKill {
  #queriesLeft: number | null = null;
  #atCommit = false;
  dead = false;

  /** The office dies at its `queries`-th query from now (0: the next one). */
  arm(queries: number): void {
    this.#queriesLeft = queries;
  }

  /** The office dies as its next transaction commits (power lost during the commit's write). */
  armAtCommit(): void {
    this.#atCommit = true;
  }

  disarm(): void {
    this.#queriesLeft = null;
    this.#atCommit = false;
  }

  revive(): void {
    this.dead = false;
    this.disarm();
  }

  tick(commit = false): void {
    if (!this.dead && ((commit && this.#atCommit) || (this.#queriesLeft !== null && this.#queriesLeft-- <= 0))) this.dead = true;
    if (this.dead) throw new Error('the office process died');
  }
}

/** PGlite whose queries, and the commit of each transaction, pass through `kill` first. */
function killable(pglite: PGlite, kill: OfficeKill): PGlite {
  const wrapTx = (tx: Transaction): Transaction =>
    new Proxy(tx, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        if (property === 'query' || property === 'exec' || property === 'sql') {
          return (...args: unknown[]) => {
            kill.tick();
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  return new Proxy(pglite, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => unknown;
      if (property === 'query' || property === 'exec') {
        return (...args: unknown[]) => {
          kill.tick();
          return method.apply(target, args);
        };
      }
      if (property === 'transaction') {
        return (callback: (tx: Transaction) => Promise<unknown>) =>
          target.transaction(async (tx) => {
            const result = await callback(wrapTx(tx));
            kill.tick(true);
            return result;
          });
      }
      return method.bind(target);
    },
  });
}

/** A cheap office PIN verifier (scrypt with tiny parameters): the simulation signs in often. */
function cheapPinVerifier(pin: string, salt: Buffer): string {
  const params = { N: 16, r: 1, p: 1 };
  const digest = scryptSync(pin, salt, 32, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${digest.toString('base64')}`;
}

export interface InjectAnswer {
  status: number;
  body: unknown;
  retryAfterMs?: number;
}

export class SimOffice {
  readonly clock = new ManualClock();
  readonly random = new ReseedableRandomness('office');
  /** The planted bugs switched on for the run (the object is the one the office was built with). */
  readonly faults: OfficeFaults = {};
  readonly adminToken = 'wpo_sim-admin-token';
  dispatcherToken = '';
  restarts = 0;
  #app: FastifyInstance | null = null;

  private constructor(
    readonly database: OfficeDatabase,
    readonly kill: OfficeKill,
    /** The store itself, past the kill switch: the simulation's own resets. */
    private readonly store: PGlite,
  ) {}

  static async open(): Promise<SimOffice> {
    const kill = new OfficeKill();
    const store = new PGlite();
    const database = await openDatabase({ schema: SCHEMA, pglite: killable(store, kill) });
    await database.migrate();
    const office = new SimOffice(database, kill, store);
    await upsertBootstrapAdmin(database.db, hashSecret(office.adminToken), office.clock.now());
    await office.#restartApp();
    office.dispatcherToken = (await seedOrganisation(office)).dispatcherToken;
    for (const [index, { operatorId, pin }] of [INSPECTOR, CLERK, SOUTH_INSPECTOR].entries()) {
      await database.db.execute(sql`UPDATE operators SET pin_verifier = ${cheapPinVerifier(pin, Buffer.alloc(16, index))} WHERE id = ${operatorId}`);
    }
    const tables = rowsOf<{ table_name: string }>(
      await database.db.execute(sql`SELECT table_name FROM information_schema.tables WHERE table_schema = ${SCHEMA} AND table_name NOT LIKE '%drizzle%'`),
    );
    office.#tables = tables.map((row) => row.table_name).sort();
    for (const table of SEEDED) await database.db.execute(sql.raw(`CREATE TABLE "seeded_${table}" AS SELECT * FROM "${table}"`));
    return office;
  }

  #tables: string[] = [];

  get app(): FastifyInstance {
    if (!this.#app) throw new Error('the office is not started');
    return this.#app;
  }

  /** Back to the seeded organisation, with the run's randomness, clock and bugs; a fresh office process. */
  async reset(seed: string, startAt: number, faults: OfficeFaults): Promise<void> {
    this.kill.revive();
    for (const key of Object.keys(this.faults) as (keyof OfficeFaults)[]) delete this.faults[key];
    Object.assign(this.faults, faults);
    const list = this.#tables.map((table) => `"${table}"`).join(', ');
    const restore = SEEDED.map((table) => `INSERT INTO "${table}" SELECT * FROM "seeded_${table}";`).join(' ');
    await this.store.exec(`SET search_path TO "${SCHEMA}"; TRUNCATE ${list} RESTART IDENTITY CASCADE; ${restore}`);
    this.random.reseed(`office:${seed}`);
    this.clock.ms = startAt;
    this.restarts = 0;
    await this.#restartApp();
  }

  /** The office process starts again on the same store (what it held in memory is gone). */
  async restart(): Promise<void> {
    this.restarts++;
    this.kill.revive();
    await this.#restartApp();
  }

  async inject(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body: unknown, headers: Record<string, string>): Promise<InjectAnswer> {
    const response = await this.app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object | Buffer }) });
    const retryAfter = response.headers['retry-after'];
    return {
      status: response.statusCode,
      body: response.body ? parseJson(response.body) : null,
      ...(retryAfter ? { retryAfterMs: Number(retryAfter) * 1000 } : {}),
    };
  }

  /** A request of the console (dispatcher or reviewer). */
  office(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<InjectAnswer> {
    return this.inject(method, url, body, { authorization: `Bearer ${this.dispatcherToken}` });
  }

  enrollmentToken(siteId: string, kind: 'cab' | 'kiosk'): Promise<string> {
    return issueEnrollmentToken(this, siteId, kind);
  }

  async close(): Promise<void> {
    await closeServer(this.app, 100);
    await this.database.close();
  }

  async #restartApp(): Promise<void> {
    const previous = this.#app;
    if (previous) await closeServer(previous, 0);
    this.#app = await this.#build();
    await this.#app.ready();
  }

  #build(): Promise<FastifyInstance> {
    return buildServer({
      database: this.database,
      clock: this.clock,
      random: this.random,
      serverSigner: createSigner(new SeededRandomness('sim:office-signer').bytes(32), 'node'),
      logger: pino({ level: 'silent' }),
      config: { maxClockSkewMs: 24 * 60 * 60 * 1000 },
      faults: this.faults,
    });
  }
}

export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
