import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { unitKey } from '../../../protocol/maintenance.js';
import type { OfficeDb } from '../connect.js';
import { REPORTS_DEFECTS, operators, records, sites } from '../schema.js';

/** What the maintenance queue reads: inspections that report defects no mechanic has certified, and the certifications made. */

export interface MaintenanceFilter {
  /** null only for the bootstrap admin, who sees every organisation. */
  organisationId: string | null;
  siteId?: string;
  /** Only these units (equipment numbers as typed, compared without case). */
  units?: readonly string[];
  limit: number;
}

function scope(filter: MaintenanceFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.organisationId !== null) conditions.push(eq(sites.organisationId, filter.organisationId));
  if (filter.siteId) conditions.push(eq(records.siteId, filter.siteId));
  return conditions;
}

/** Submitted inspections reporting defects without a certification, oldest submission first. */
export async function uncertifiedDefectiveInspections(db: OfficeDb, filter: MaintenanceFilter) {
  const conditions = [
    REPORTS_DEFECTS,
    sql`NOT EXISTS (SELECT 1 FROM ${records} AS certification WHERE certification.type = 'repairCertification' AND (certification.fields->>'inspectionId') = ${records.id})`,
    ...scope(filter),
  ];
  if (filter.units) {
    const named = [...new Set(filter.units.map(unitKey))];
    if (named.length === 0) return [];
    conditions.push(inArray(sql`upper(${records.fields}->>'equipmentNumber')`, named));
  }
  const rows = await db
    .select({ record: records })
    .from(records)
    .innerJoin(sites, eq(sites.id, records.siteId))
    .where(and(...conditions))
    .orderBy(asc(sql`(${records.fields}->>'submittedAt')::bigint`), records.id)
    .limit(filter.limit);
  return rows.map((row) => row.record);
}

/** The latest certifications, newest first, with the name of the driver who reviewed each. */
export async function recentCertifications(db: OfficeDb, filter: MaintenanceFilter) {
  return db
    .select({ record: records, reviewedByName: operators.displayName })
    .from(records)
    .innerJoin(sites, eq(sites.id, records.siteId))
    .leftJoin(operators, eq(operators.id, sql`${records.fields}->>'reviewedBy'`))
    .where(and(eq(records.type, 'repairCertification'), ...scope(filter)))
    .orderBy(desc(sql`(${records.fields}->>'certifiedAt')::bigint`), records.id)
    .limit(filter.limit);
}

/** The certification made for an inspection, if any. */
export async function certificationOf(db: OfficeDb, inspectionId: string) {
  const [row] = await db
    .select()
    .from(records)
    .where(and(eq(records.type, 'repairCertification'), sql`(${records.fields}->>'inspectionId') = ${inspectionId}`))
    .limit(1);
  return row ?? null;
}
