import { eq, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { allRecords } from '../../db/queries/records.js';
import type { DeviceCore } from '../../main/core/device-core.js';
import type { OfficeDb } from '../../server/db/connect.js';
import { journalEntries, records } from '../../server/db/schema.js';

/**
 * What sync must end in, for the tests that make it hard (simulation, real processes): a device
 * holds exactly the office's canonical records of its scope, its outbox is drained, and its signed
 * chain verifies and is the chain the office stored.
 */
export interface HeldRecord {
  type: string;
  id: string;
  version: number | null;
  fields: Record<string, unknown>;
  deleted: boolean;
  pendingReview: boolean;
  syncState: string;
}

/** The office's canonical records a device of `siteId` holds, as such a device stores them once synced. */
export async function officeRecordsFor(office: OfficeDb, siteId: string): Promise<HeldRecord[]> {
  const rows = await office
    .select()
    .from(records)
    .where(sql`${siteId} = ANY(${records.audience})`);
  return rows
    .map((record) => ({ type: record.type, id: record.id, version: record.version, fields: record.fields, deleted: record.deleted, pendingReview: record.pendingReview, syncState: 'synced' }))
    .sort(byKey);
}

/** Expects `core` converged with the office: see the module comment; `canonical` from officeRecordsFor. */
export async function expectConverged(office: OfficeDb, core: DeviceCore, canonical: readonly HeldRecord[], name: string): Promise<void> {
  // Every entry reached the office: acknowledged, or parked in the failed list with the office's reason.
  const journal = core.journal();
  const status = core.status();
  expect(status.outbox.pending, name).toBe(0);
  expect(status.outbox.acknowledged + status.outbox.failed, name).toBe(journal.length);
  const stored = await office
    .select({ seq: journalEntries.seq, hash: journalEntries.hash })
    .from(journalEntries)
    .where(eq(journalEntries.deviceId, core.deviceId))
    .orderBy(journalEntries.seq);
  expect(stored, name).toEqual(journal.map((entry) => ({ seq: entry.body.seq, hash: entry.hash })));
  expect(core.verifyJournal(), name).toMatchObject({ ok: true });
  const inboxSeqs = core.conflicts().map((entry) => entry.seq);
  expect(new Set(inboxSeqs).size, name).toBe(inboxSeqs.length);

  // Every record on the device is the office's canonical state, and nothing is missing.
  const local = allRecords(core.database.db)
    .map((record) => ({ type: record.type, id: record.id, version: record.serverVersion, fields: record.fields, deleted: record.deleted, pendingReview: record.pendingReview, syncState: record.syncState }))
    .sort(byKey);
  expect(local, name).toEqual(canonical);
}

function byKey(a: { type: string; id: string }, b: { type: string; id: string }): number {
  return `${a.type}/${a.id}` < `${b.type}/${b.id}` ? -1 : 1;
}
