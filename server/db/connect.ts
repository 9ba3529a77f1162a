import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.js';

/**
 * One database handle for both backends: node-postgres against a real server (DATABASE_URL), or
 * PGlite embedded in the process (the default, so the service starts without a database server).
 * Both are drizzle PgDatabase instances, so every query module works on either.
 */
export type OfficeDb = PgDatabase<PgQueryResultHKT, typeof schema>;

export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export interface OfficeDatabase {
  readonly db: OfficeDb;
  readonly backend: 'postgres' | 'pglite';
  /** The schema every table lives in (the connection's search_path). */
  readonly schema: string;
  /** Applies pending migrations; safe when several instances start at once (advisory lock). */
  migrate(migrationsFolder?: string): Promise<void>;
  /** Calls `onMessage` for every NOTIFY on `channel`; resolves once listening. Returns the unsubscribe. */
  listen(channel: string, onMessage: (payload: string) => void, onGap?: () => void): Promise<() => Promise<void>>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… ; when absent PGlite is used. */
  url?: string;
  /** PGlite data directory; in memory when absent. */
  dataDir?: string;
  /** An embedded database already made, used instead of a new one (the simulation fails its queries to kill the office). */
  pglite?: PGlite;
  /** Schema for all tables (created when missing); default `public`. */
  schema?: string;
  /** Largest number of pooled connections (node-postgres). */
  poolSize?: number;
  /** Bounds on every wait on a database server (node-postgres); defaults in `databaseTimeouts`. */
  timeouts?: Partial<DatabaseTimeouts>;
}

/**
 * Every wait on a database server is bounded, so a database that is down, partitioned away or
 * accepting connections without answering makes requests fail (503) instead of hang.
 */
export interface DatabaseTimeouts {
  /** Opening a connection, and waiting for a pooled one to come free. */
  connectMs: number;
  /** The server cancels a statement running longer (statement_timeout), lock waits included. */
  statementMs: number;
  /** The server ends a session left idle inside a transaction this long, releasing its locks. */
  idleInTransactionMs: number;
  /**
   * How long this side waits for any answer (query_timeout): longer than `statementMs`, so a slow
   * statement is cancelled by the server first and only a silent server or network trips it.
   */
  queryMs: number;
}

/** The bounds in `partial`, the defaults for the rest; the answer wait defaults to the statement timeout plus 5 s. */
export function databaseTimeouts(partial: Partial<DatabaseTimeouts> = {}): DatabaseTimeouts {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  const { connectMs = 5_000, statementMs = 15_000, idleInTransactionMs = 30_000, queryMs = statementMs + 5_000 } = defined;
  return { connectMs, statementMs, idleInTransactionMs, queryMs };
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDatabase(options: OpenDatabaseOptions): Promise<OfficeDatabase> {
  const schemaName = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schemaName)) throw new Error(`database schema name "${schemaName}" must be lowercase letters, digits and _`);
  if (!options.url) return openPglite(options.pglite ?? (options.dataDir ? new PGlite(options.dataDir) : new PGlite()), schemaName);
  return openPostgres(options.url, schemaName, options.poolSize ?? 10, databaseTimeouts(options.timeouts));
}

async function openPostgres(url: string, schemaName: string, poolSize: number, timeouts: DatabaseTimeouts): Promise<OfficeDatabase> {
  const bounded: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    query_timeout: timeouts.queryMs,
    keepAlive: true,
  };
  await createSchema(bounded, schemaName);
  const clientConfig = { ...bounded, options: `-c search_path=${schemaName}` };
  const pool = new pg.Pool({ ...clientConfig, max: poolSize, Client: GuardedClient });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema }) as unknown as OfficeDb;
  const listener = new PostgresListener(clientConfig, timeouts.connectMs);

  return {
    db,
    backend: 'postgres',
    schema: schemaName,
    async migrate(migrationsFolder = DEFAULT_MIGRATIONS_FOLDER) {
      const client = await pool.connect();
      // One lock per schema: instances of other schemas (other offices, tests) migrate meanwhile,
      // so the wait for it stays short enough for the statement timeout.
      const lock = `waypost migrations ${schemaName}`;
      try {
        await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lock]);
        try {
          await migratePg(drizzlePg(client), { migrationsFolder, migrationsSchema: schemaName });
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lock]);
        }
      } finally {
        client.release();
      }
    },
    listen: (channel, onMessage, onGap) => listener.listen(channel, onMessage, onGap),
    async ping() {
      await pool.query('SELECT 1');
    },
    close: once(async () => {
      await listener.close();
      await pool.end();
    }),
  };
}

/** The first contact with the server: a database that refuses or never answers says so, by address. */
async function createSchema(config: pg.ClientConfig, schemaName: string): Promise<void> {
  const bootstrap = new GuardedClient(config);
  try {
    await bootstrap.connect();
    await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"`);
  } catch (error) {
    throw new Error(`cannot use the database at ${describeServer(config.connectionString!)}: ${explainFailure(error, config)}`, { cause: error });
  } finally {
    await bootstrap.end().catch(() => {});
  }
}

function explainFailure(error: unknown, config: pg.ClientConfig): string {
  const message = error instanceof Error ? error.message : String(error);
  if ((error as { code?: unknown }).code === 'ECONNREFUSED') return `it refused the connection (${message})`;
  if (message === 'timeout expired') return `it did not answer within ${config.connectionTimeoutMillis} ms`;
  if (message === 'Query read timeout') return `it did not answer within ${config.query_timeout} ms`;
  return message;
}

/** Host, port and database name of a connection URL, never its password. */
function describeServer(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/**
 * A node-postgres client that survives its connection failing while checked out of the pool
 * (drizzle's transactions listen for nothing; an unheard 'error' would end the process), and that
 * closes its connection once a query went unanswered for `query_timeout`. node-postgres would
 * keep waiting for that answer and hand the client back to the pool with the server still inside
 * the abandoned transaction, holding its locks, for the next request to run in. Queries on a
 * failed client fail at once and the pool drops it on release.
 */
class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => {});
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one override for all of pg's query overloads
  override query(...args: any[]): any {
    const result: unknown = (super.query as (...params: unknown[]) => unknown)(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (error instanceof Error && error.message === 'Query read timeout') this.connection.stream.destroy();
      });
    }
    return result;
  }
}

async function openPglite(client: PGlite, schemaName: string): Promise<OfficeDatabase> {
  await client.waitReady;
  await client.exec(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"; SET search_path TO "${schemaName}";`);
  const db = drizzlePglite(client, { schema }) as unknown as OfficeDb;
  return {
    db,
    backend: 'pglite',
    schema: schemaName,
    async migrate(migrationsFolder = DEFAULT_MIGRATIONS_FOLDER) {
      await migratePglite(drizzlePglite(client), { migrationsFolder, migrationsSchema: schemaName });
    },
    async listen(channel, onMessage) {
      // PGlite quotes nothing itself; a checked lowercase name needs no quoting.
      quoteChannel(channel);
      return client.listen(channel, onMessage);
    },
    async ping() {
      await db.execute(sql`SELECT 1`);
    },
    close: once(async () => {
      await client.close();
    }),
  };
}

/**
 * A dedicated connection that LISTENs for the pool (a pooled connection would drop its LISTENs
 * when released). It reconnects after a lost connection and listens again on every channel.
 */
/**
 * The one connection that LISTENs. A lost connection is made again; since notifications sent
 * meanwhile are gone for good, every listener is then told there was a gap. A connection that went
 * silent (a partition that sends no reset) is found by a heartbeat query, which its query timeout
 * ends, and made again the same way.
 */
interface Listener {
  onMessage(payload: string): void;
  onGap?(): void;
}

const HEARTBEAT_MS = 15_000;

class PostgresListener {
  #client: pg.Client | null = null;
  #connecting: Promise<pg.Client> | null = null;
  #handlers = new Map<string, Set<Listener>>();
  #closed = false;
  #lost = false;
  #heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    /** How long a goodbye may take before the connection is cut (a partitioned server never answers it). */
    private readonly closeWithinMs: number,
  ) {}

  async listen(channel: string, onMessage: (payload: string) => void, onGap?: () => void): Promise<() => Promise<void>> {
    const client = await this.#connection();
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
      await client.query(`LISTEN ${quoteChannel(channel)}`);
    }
    const listener: Listener = { onMessage, onGap };
    handlers.add(listener);
    return async () => {
      handlers.delete(listener);
      if (handlers.size > 0 || this.#handlers.get(channel) !== handlers) return;
      this.#handlers.delete(channel);
      await this.#client?.query(`UNLISTEN ${quoteChannel(channel)}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopHeartbeat();
    const client = this.#client;
    this.#client = null;
    if (!client) return;
    const cut = setTimeout(() => client.connection.stream.destroy(), this.closeWithinMs);
    try {
      await client.end().catch(() => {});
    } finally {
      clearTimeout(cut);
    }
  }

  #connection(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new GuardedClient(this.config);
    client.on('notification', (message) => {
      for (const listener of this.#handlers.get(message.channel) ?? []) listener.onMessage(message.payload ?? '');
    });
    client.on('error', () => this.#onLost(client));
    client.on('end', () => this.#onLost(client));
    await client.connect();
    for (const channel of this.#handlers.keys()) await client.query(`LISTEN ${quoteChannel(channel)}`);
    this.#client = client;
    this.#startHeartbeat(client);
    if (this.#lost) {
      this.#lost = false;
      for (const listener of [...this.#handlers.values()].flatMap((set) => [...set])) listener.onGap?.();
    }
    return client;
  }

  #onLost(lost: pg.Client): void {
    if (this.#closed || this.#client !== lost) return;
    this.#client = null;
    this.#lost = true;
    this.#stopHeartbeat();
    this.#reconnectSoon();
  }

  #startHeartbeat(client: pg.Client): void {
    this.#stopHeartbeat();
    // A failed heartbeat has already cut the connection (GuardedClient), which reports it lost.
    this.#heartbeat = setInterval(() => client.query('SELECT 1').catch(() => {}), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #reconnectSoon(): void {
    setTimeout(() => {
      if (this.#closed || this.#handlers.size === 0) return;
      this.#connection().catch(() => this.#reconnectSoon());
    }, 1000).unref();
  }
}

function once(action: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= action());
}

/** Channel names are ours (never user input), but quoting keeps case and odd characters intact. */
function quoteChannel(channel: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`invalid notification channel ${channel}`);
  return `"${channel}"`;
}
