import { existsSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';

/**
 * Opening the device database: decrypt (better-sqlite3 is the SQLite3 Multiple Ciphers build),
 * check integrity, set the durability pragmas, apply migrations. A database that cannot be read is
 * never replaced silently: opening fails with an error naming what is wrong, and recovery (see
 * recover.ts) is a separate, explicit step that keeps the damaged file.
 */
export type DeviceDb = BetterSQLite3Database<typeof schema>;
export type Sqlite = Database.Database;

export interface DeviceDatabase {
  sqlite: Sqlite;
  db: DeviceDb;
  path: string;
}

export interface OpenOptions {
  path: string;
  /** 32-byte database key from the key store; null opens a plain database (tests of the cipher only). */
  key: Uint8Array | null;
  migrationsFolder?: string;
  readonly?: boolean;
  /** Skip the full integrity check (salvage of a damaged file reads what it can). */
  skipIntegrityCheck?: boolean;
}

export const DEFAULT_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export class DatabaseUnreadableError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'wrong-key-or-not-a-database' | 'corrupt',
    readonly details: string[],
  ) {
    super(
      reason === 'corrupt'
        ? `device database ${path} is damaged (${details.slice(0, 3).join('; ')}); it was left untouched — run recovery to keep a copy and salvage its journal`
        : `device database ${path} cannot be read: the key is wrong or the file is not a Waypost database; it was left untouched`,
    );
    this.name = 'DatabaseUnreadableError';
  }
}

export function openDeviceDatabase(options: OpenOptions): DeviceDatabase {
  const existed = existsSync(options.path) && statSync(options.path).size > 0;
  const sqlite = new Database(options.path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    applyKey(sqlite, options.key);
    sqlite.pragma('temp_store = MEMORY');
    try {
      sqlite.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (error) {
      throw classifyReadError(options.path, error, existed);
    }
    if (!options.readonly) {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = FULL');
    }
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    if (!options.skipIntegrityCheck) checkIntegrity(sqlite, options.path);
    const db = drizzle(sqlite, { schema });
    if (!options.readonly) migrate(db, { migrationsFolder: options.migrationsFolder ?? DEFAULT_MIGRATIONS });
    return { sqlite, db, path: options.path };
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

function applyKey(sqlite: Sqlite, key: Uint8Array | null): void {
  if (!key) return;
  if (key.length !== 32) throw new Error('the database key is 32 bytes');
  sqlite.pragma(`cipher = 'chacha20'`);
  sqlite.pragma(`hexkey = '${Buffer.from(key).toString('hex')}'`);
}

function checkIntegrity(sqlite: Sqlite, path: string): void {
  let problems: string[];
  try {
    // A row can hold several findings, one per line.
    problems = (sqlite.pragma('integrity_check') as { integrity_check: string }[]).flatMap((row) => row.integrity_check.split('\n'));
  } catch (error) {
    throw new DatabaseUnreadableError(path, 'corrupt', [(error as Error).message]);
  }
  if (problems.length !== 1 || problems[0] !== 'ok') throw new DatabaseUnreadableError(path, 'corrupt', problems);
}

function classifyReadError(path: string, error: unknown, existed: boolean): Error {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB') return new DatabaseUnreadableError(path, 'wrong-key-or-not-a-database', [(error as Error).message]);
  if (code === 'SQLITE_CORRUPT' && existed) return new DatabaseUnreadableError(path, 'corrupt', [(error as Error).message]);
  return error as Error;
}

/**
 * Changes the encryption key. SQLite3 Multiple Ciphers cannot rekey a database in WAL mode, so
 * the WAL is checkpointed and the journal mode switched to DELETE around the rekey.
 */
export function rekeyDeviceDatabase(sqlite: Sqlite, newKey: Uint8Array): void {
  if (newKey.length !== 32) throw new Error('the database key is 32 bytes');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.pragma('journal_mode = DELETE');
  try {
    sqlite.pragma(`hexrekey = '${Buffer.from(newKey).toString('hex')}'`);
  } finally {
    sqlite.pragma('journal_mode = WAL');
  }
}

/** The database file and its WAL and shared-memory side files. */
export const DATABASE_FILE_SUFFIXES = ['', '-wal', '-shm'] as const;

/** Moves a database and its WAL/SHM side files aside, never deleting them. Returns the new path. */
export function quarantineDatabaseFiles(path: string, nowMs: number): string {
  const stem = `${path}.damaged-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
  // rename replaces an existing file: a second quarantine in the same millisecond gets its own name.
  let target = stem;
  for (let copy = 2; DATABASE_FILE_SUFFIXES.some((suffix) => existsSync(target + suffix)); copy++) target = `${stem}-${copy}`;
  for (const suffix of DATABASE_FILE_SUFFIXES) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}
