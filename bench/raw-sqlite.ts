import { closeSync, openSync, readSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Plain better-sqlite3 with the device database's cipher and durability settings (see
 * db/open.ts), and nothing else: no drizzle, no schema, no checks. The baselines are built on it.
 */
export function openRawEncrypted(path: string, key: Uint8Array): Database.Database {
  const sqlite = new Database(path);
  sqlite.pragma(`cipher = 'chacha20'`);
  sqlite.pragma(`hexkey = '${Buffer.from(key).toString('hex')}'`);
  return sqlite;
}

export function makeDurable(sqlite: Database.Database): void {
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
}

/** A baseline on an unencrypted file would flatter the device, so refuse to measure one. */
export function assertEncrypted(path: string): void {
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1').startsWith('SQLite format 3')) throw new Error(`${path} is not encrypted`);
}
