import { and, count, desc, eq, gte, lt, max, min, or, sql, type SQL } from 'drizzle-orm';
import { type AuditSearchQuery, type AuditSearchResult, MAX_AUDIT_SEARCH_RECORDS, UNIT_FIELDS } from '../../protocol/wire.js';
import type { OfficeDb } from '../db/connect.js';
import { records, recordWrites, sites } from '../db/schema.js';

/**
 * The auditor's search: records by who wrote them, from which device, when the office received
 * it, or by unit number. Each condition narrows: a unit and an operator find that operator's
 * writes to that unit's records.
 *
 * record_writes has no index by operator, device or time (one per record): on a large office these
 * read the table through; an index for each belongs with the next office migration.
 */
export async function searchAudit(db: OfficeDb, organisationId: string | null, query: AuditSearchQuery): Promise<AuditSearchResult> {
  const conditions: SQL[] = [];
  if (organisationId !== null) conditions.push(eq(sites.organisationId, organisationId));
  if (query.operatorId) conditions.push(eq(recordWrites.operatorId, query.operatorId));
  if (query.deviceId) conditions.push(eq(recordWrites.deviceId, query.deviceId));
  if (query.from !== undefined) conditions.push(gte(recordWrites.receivedAt, query.from));
  if (query.to !== undefined) conditions.push(lt(recordWrites.receivedAt, query.to));
  // The schema allows letters, digits, spaces and dashes only: nothing LIKE would read as a pattern.
  if (query.unit) conditions.push(or(...UNIT_FIELDS.map((field) => sql`${records.fields}->>${field} ILIKE ${`%${query.unit}%`}`))!);
  const unit = sql<string | null>`coalesce(${sql.join(
    UNIT_FIELDS.map((field) => sql`${records.fields}->>${field}`),
    sql`, `,
  )})`;
  const rows = await db
    .select({ type: records.type, id: records.id, siteId: records.siteId, unit, writes: count(), firstAt: min(recordWrites.receivedAt), lastAt: max(recordWrites.receivedAt) })
    .from(recordWrites)
    .innerJoin(records, and(eq(records.type, recordWrites.recordType), eq(records.id, recordWrites.recordId)))
    .innerJoin(sites, eq(sites.id, records.siteId))
    .where(and(...conditions))
    .groupBy(records.type, records.id)
    .orderBy(desc(max(recordWrites.receivedAt)), records.type, records.id)
    .limit(MAX_AUDIT_SEARCH_RECORDS + 1);
  return {
    records: rows.slice(0, MAX_AUDIT_SEARCH_RECORDS).map((row) => ({ ...row, writes: Number(row.writes), firstAt: Number(row.firstAt), lastAt: Number(row.lastAt) })),
    truncated: rows.length > MAX_AUDIT_SEARCH_RECORDS,
  };
}
