import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE_SUFFIXES, type Sqlite } from '../../db/open.js';

/**
 * Looking at the device database from the outside, as someone holding the disk would: the bytes
 * of its files, its pages, and the temp files SQLite opens.
 */
export interface MarkerFinding {
  file: string;
  marker: string;
  encoding: 'utf8' | 'utf16le' | 'utf16be';
}

function encodings(marker: string): [MarkerFinding['encoding'], Buffer][] {
  const utf16le = Buffer.from(marker, 'utf16le');
  return [
    ['utf8', Buffer.from(marker, 'utf8')],
    ['utf16le', utf16le],
    ['utf16be', Buffer.from(utf16le).swap16()],
  ];
}

export function findMarkers(content: Buffer, file: string, markers: readonly string[]): MarkerFinding[] {
  return markers.flatMap((marker) =>
    encodings(marker)
      .filter(([, needle]) => content.includes(needle))
      .map(([encoding]) => ({ file, marker, encoding })),
  );
}

/** Every regular file in `dir`, whatever its name (database, WAL, shared memory, rollback journal...). */
export function scanDirectory(dir: string, markers: readonly string[]): MarkerFinding[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .flatMap((path) => findMarkers(readFileSync(path), path, markers));
}

export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Hashes of the database file and whichever side files exist, to prove nothing was written. */
export function databaseFilesSha256(path: string): Record<string, string> {
  return Object.fromEntries(DATABASE_FILE_SUFFIXES.filter((suffix) => existsSync(path + suffix)).map((suffix) => [suffix || 'db', fileSha256(path + suffix)]));
}

export function overwriteBytes(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** Byte offset of a 1-based page number (the cipher keeps pages at their plain offsets). */
export function pageOffset(sqlite: Sqlite, pageNumber: number): number {
  return (pageNumber - 1) * (sqlite.pragma('page_size', { simple: true }) as number);
}

/** Leaf pages of one table or index, in page order, from SQLite's own page map (dbstat). */
export function leafPages(sqlite: Sqlite, name: string): number[] {
  return (sqlite.prepare(`SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno`).all(name) as { pageno: number }[]).map(
    (row) => row.pageno,
  );
}

export const CAN_SEE_OPEN_FILES = existsSync('/proc/self/fd');

export interface OpenTempFile {
  path: string;
  read(): Buffer;
}

/**
 * SQLite unlinks its temp files (etilqs_*) right after creating them, so listing the temp
 * directory shows nothing; the open descriptors of this process do (Linux).
 */
export function openSqliteTempFiles(): OpenTempFile[] {
  const found: OpenTempFile[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    const link = `/proc/self/fd/${fd}`;
    let target: string;
    try {
      target = readlinkSync(link);
    } catch {
      continue; // the descriptor closed while we looked
    }
    if (target.includes('etilqs_')) found.push({ path: target, read: () => readFileSync(link) });
  }
  return found;
}
