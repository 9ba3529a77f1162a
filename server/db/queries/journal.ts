import { and, eq, inArray } from 'drizzle-orm';
import type { EntryResult } from '../../../protocol/wire.js';
import type { OfficeDb } from '../connect.js';
import { insertRows } from './batches.js';
import { type StoredSession, devices, journalEntries } from '../schema.js';

/** Devices' journal entries as the office stores them, and each device's acknowledged chain. */

export type JournalEntryRow = typeof journalEntries.$inferInsert;

export interface StoredEntry {
  hash: string;
  result: EntryResult;
}

export async function findStoredEntries(db: OfficeDb, deviceId: string, seqs: readonly number[]): Promise<Map<number, StoredEntry>> {
  if (seqs.length === 0) return new Map();
  const rows = await db
    .select({ seq: journalEntries.seq, hash: journalEntries.hash, result: journalEntries.result })
    .from(journalEntries)
    .where(and(eq(journalEntries.deviceId, deviceId), inArray(journalEntries.seq, [...new Set(seqs)])));
  return new Map(rows.map((row) => [row.seq, { hash: row.hash, result: row.result as EntryResult }]));
}

export async function insertJournalEntries(db: OfficeDb, rows: readonly JournalEntryRow[]): Promise<void> {
  await insertRows(db, journalEntries, rows);
}

export interface ChainPosition {
  seq: number;
  head: string;
  session: StoredSession | null;
  /** Effective time of the last entry whose time was trusted (protocol/time.ts). */
  anchoredTime: number | null;
}

/** The device's chain after a push, seen at `seenAt`, whose clock the office corrected by `clockOffsetMs`. */
export async function saveDeviceChain(db: OfficeDb, deviceId: string, chain: ChainPosition, seen: { at: number; clockOffsetMs: number }): Promise<void> {
  await db
    .update(devices)
    .set({
      chainSeq: chain.seq,
      chainHead: chain.head,
      chainSession: chain.session,
      anchoredTime: chain.anchoredTime,
      lastSeenAt: seen.at,
      clockOffsetMs: seen.clockOffsetMs,
    })
    .where(eq(devices.id, deviceId));
}
