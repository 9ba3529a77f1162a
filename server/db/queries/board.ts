import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { FieldActivity } from '../../../protocol/wire.js';
import type { OfficeDb } from '../connect.js';
import { devices, operators, recordWrites, records, sites } from '../schema.js';

/** What the dispatch board reads: an organisation's work orders, and the field's latest hand on each (or on any record). */

export interface BoardFilter {
  /** null only for the bootstrap admin, who sees every organisation. */
  organisationId: string | null;
  siteId?: string;
  status?: string;
  limit: number;
}

export async function listWorkOrders(db: OfficeDb, filter: BoardFilter) {
  const conditions: SQL[] = [eq(records.type, 'workOrder'), eq(records.deleted, false)];
  if (filter.organisationId !== null) conditions.push(eq(sites.organisationId, filter.organisationId));
  if (filter.siteId) conditions.push(eq(records.siteId, filter.siteId));
  if (filter.status) conditions.push(sql`${records.fields}->>'status' = ${filter.status}`);
  const rows = await db
    .select({ record: records })
    .from(records)
    .innerJoin(sites, eq(sites.id, records.siteId))
    .where(and(...conditions))
    .orderBy(desc(records.updatedAt), records.id)
    .limit(filter.limit);
  return rows.map((row) => row.record);
}

/** Per record, the latest write a device made to it (one index range per record: record_writes_record_idx). */
export async function latestFieldWrites(db: OfficeDb, recordType: string, recordIds: readonly string[]): Promise<Map<string, FieldActivity>> {
  if (recordIds.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([recordWrites.recordId], {
      recordId: recordWrites.recordId,
      operatorId: recordWrites.operatorId,
      operatorName: operators.displayName,
      deviceId: recordWrites.deviceId,
      deviceLabel: devices.label,
      deviceTime: recordWrites.deviceTime,
      receivedAt: recordWrites.receivedAt,
      deviceLastSeenAt: devices.lastSeenAt,
    })
    .from(recordWrites)
    .leftJoin(operators, eq(operators.id, recordWrites.operatorId))
    .leftJoin(devices, eq(devices.id, recordWrites.deviceId))
    .where(and(eq(recordWrites.recordType, recordType), inArray(recordWrites.recordId, [...recordIds]), eq(recordWrites.origin, 'field')))
    .orderBy(recordWrites.recordId, desc(recordWrites.id));
  const latest = new Map<string, FieldActivity>();
  for (const { recordId, operatorId, deviceId, ...rest } of rows) {
    if (operatorId !== null && deviceId !== null) latest.set(recordId, { ...rest, operatorId, deviceId });
  }
  return latest;
}

/** The sites, operators and devices of an organisation (all of them for the bootstrap admin). */
export async function organisationDirectory(db: OfficeDb, organisationId: string | null) {
  const inOrganisation = organisationId === null ? undefined : eq(sites.organisationId, organisationId);
  const [siteRows, operatorRows, deviceRows] = await Promise.all([
    db.select({ id: sites.id, name: sites.name, organisationId: sites.organisationId }).from(sites).where(inOrganisation).orderBy(sites.name),
    db
      .select({ id: operators.id, siteId: operators.siteId, displayName: operators.displayName, role: operators.role, active: operators.active })
      .from(operators)
      .innerJoin(sites, eq(sites.id, operators.siteId))
      .where(inOrganisation)
      .orderBy(operators.displayName),
    db
      .select({ id: devices.id, siteId: devices.siteId, kind: devices.kind, label: devices.label, lastSeenAt: devices.lastSeenAt })
      .from(devices)
      .innerJoin(sites, eq(sites.id, devices.siteId))
      .where(inOrganisation)
      .orderBy(devices.id),
  ]);
  return { sites: siteRows, operators: operatorRows, devices: deviceRows };
}
