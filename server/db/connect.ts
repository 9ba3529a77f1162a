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
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… ; when absent PGlite is used. */
  url?: string;
  /** PGlite data directory; in memory when absent. */
  dataDir?: string;
  /** Schema for all tables (created when missing); default `public`. */
  schema?: string;
  /** Largest number of pooled connections (node-postgres). */
  poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const MIGRATION_LOCK = 7_240_615_001;

export async function openDatabase(options: OpenDatabaseOptions): Promise<OfficeDatabase> {
  const schemaName = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schemaName)) throw new Error(`database schema name "${schemaName}" must be lowercase letters, digits and _`);
  return options.url ? openPostgres(options.url, schemaName, options.poolSize ?? 10) : openPglite(options.dataDir, schemaName);
}

async function openPostgres(url: string, schemaName: string, poolSize: number): Promise<OfficeDatabase> {
  const bootstrap = new pg.Client({ connectionString: url });
  await bootstrap.connect();
  try {
    await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"`);
  } finally {
    await bootstrap.end();
  }
  const clientConfig = { connectionString: url, options: `-c search_path=${schemaName}` };
  const pool = new pg.Pool({ ...clientConfig, max: poolSize });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema }) as unknown as OfficeDb;
  const listener = new PostgresListener(clientConfig);

  return {
    db,
    backend: 'postgres',
    schema: schemaName,
    async migrate(migrationsFolder = DEFAULT_MIGRATIONS_FOLDER) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          await migratePg(drizzlePg(client), { migrationsFolder, migrationsSchema: schemaName });
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      } finally {
        client.release();
      }
    },
    listen: (channel, onMessage) => listener.listen(channel, onMessage),
    async ping() {
      await pool.query('SELECT 1');
    },
    close: once(async () => {
      await listener.close();
      await pool.end();
    }),
  };
}

async function openPglite(dataDir: string | undefined, schemaName: string): Promise<OfficeDatabase> {
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
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
class PostgresListener {
  #client: pg.Client | null = null;
  #connecting: Promise<pg.Client> | null = null;
  #handlers = new Map<string, Set<(payload: string) => void>>();
  #closed = false;

  constructor(private readonly config: pg.ClientConfig) {}

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const client = await this.#connection();
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
      await client.query(`LISTEN ${quoteChannel(channel)}`);
    }
    handlers.add(onMessage);
    return async () => {
      handlers.delete(onMessage);
      if (handlers.size > 0 || this.#handlers.get(channel) !== handlers) return;
      this.#handlers.delete(channel);
      await this.#client?.query(`UNLISTEN ${quoteChannel(channel)}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  #connection(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    client.on('notification', (message) => {
      for (const handler of this.#handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    client.on('error', () => this.#onLost(client));
    client.on('end', () => this.#onLost(client));
    await client.connect();
    for (const channel of this.#handlers.keys()) await client.query(`LISTEN ${quoteChannel(channel)}`);
    this.#client = client;
    return client;
  }

  #onLost(lost: pg.Client): void {
    if (this.#closed || this.#client !== lost) return;
    this.#client = null;
    this.#reconnectSoon();
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
