import { and, asc, sql } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { type RecordKey, findRecords } from './records.js';
import { records } from '../schema.js';

/** What the state check needs of a canonical record. */
export type ScopeRecord = Pick<typeof records.$inferSelect, 'type' | 'id' | 'version' | 'fields' | 'deleted' | 'pendingReview'>;
/** A record of the scope without its fields: what names one state of it. */
export type ScopeRecordVersion = Omit<ScopeRecord, 'fields'>;

/** Containment, which the audience index serves (`= ANY` would read every record). */
const inScope = (siteId: string) => sql`${records.audience} @> ARRAY[${siteId}]::text[]`;

/**
 * One page of the records a site's devices see, in key order after `after`. Paging by the primary
 * key keeps each statement's cost to one page, however many records the office holds.
 */
export async function readScopePage(db: OfficeDb, siteId: string, after: RecordKey | null, limit: number): Promise<ScopeRecordVersion[]> {
  return db
    .select({ type: records.type, id: records.id, version: records.version, deleted: records.deleted, pendingReview: records.pendingReview })
    .from(records)
    .where(and(inScope(siteId), after ? sql`(${records.type}, ${records.id}) > (${after.type}, ${after.id})` : undefined))
    .orderBy(asc(records.type), asc(records.id))
    .limit(limit);
}

/** The named records a site's devices see; the others are left out. */
export async function findScopeRecords(db: OfficeDb, siteId: string, keys: readonly RecordKey[]): Promise<ScopeRecord[]> {
  return [...(await findRecords(db, keys)).values()].filter((record) => record.audience.includes(siteId));
}
