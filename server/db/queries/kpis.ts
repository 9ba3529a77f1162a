import { sql } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { deviceReports } from '../schema.js';

/** What the fleet page's charts read that is not on the device list. */

export interface FieldOutcomeCount {
  recordType: string;
  field: string;
  outcome: string;
  count: number;
}

/** Per record type, field and outcome: how many field decisions the office made on writes it received since `since`. */
export async function fieldOutcomeCounts(db: OfficeDb, filter: { organisationId: string | null; siteId?: string; since: number }): Promise<FieldOutcomeCount[]> {
  const inOrganisation = filter.organisationId === null ? sql`` : sql`AND s.organisation_id = ${filter.organisationId}`;
  const atSite = filter.siteId ? sql`AND r.site_id = ${filter.siteId}` : sql``;
  const result = await db.execute(sql`
    SELECT w.record_type AS "recordType", d->>'field' AS field, d->>'outcome' AS outcome, count(*)::int AS count
    FROM record_writes w
    JOIN records r ON r.type = w.record_type AND r.id = w.record_id
    JOIN sites s ON s.id = r.site_id
    CROSS JOIN LATERAL jsonb_array_elements(w.decisions) AS d
    WHERE w.received_at >= ${filter.since} ${inOrganisation} ${atSite}
    GROUP BY 1, 2, 3`);
  return (result as unknown as { rows: FieldOutcomeCount[] }).rows;
}

export interface SyncHealthBucket {
  at: number;
  devices: number;
  pendingMean: number;
  pendingMax: number;
  pullMsP50: number;
  pullMsP95: number;
  pushMsP50: number | null;
  pushMsP95: number | null;
  convergedMsP50: number | null;
  convergedMsP95: number | null;
}

export async function insertDeviceReport(db: OfficeDb, report: typeof deviceReports.$inferInsert): Promise<void> {
  await db.insert(deviceReports).values(report);
}

/** Per time step since `since`: how many devices reported, their queues (mean and deepest), the office's pull answer time and the devices' push round trips and reconnect-to-converged times (p50, p95). */
export async function syncHealthOverTime(db: OfficeDb, filter: { organisationId: string | null; siteId?: string; since: number; bucketMs: number }): Promise<SyncHealthBucket[]> {
  const inOrganisation = filter.organisationId === null ? sql`` : sql`AND s.organisation_id = ${filter.organisationId}`;
  const atSite = filter.siteId ? sql`AND d.site_id = ${filter.siteId}` : sql``;
  const bucket = sql`(r.reported_at / ${filter.bucketMs}::bigint) * ${filter.bucketMs}::bigint`;
  const result = await db.execute(sql`
    SELECT ${bucket}::float8 AS at,
      count(DISTINCT r.device_id)::int AS devices,
      avg(r.pending_entries)::float8 AS "pendingMean",
      max(r.pending_entries)::int AS "pendingMax",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY r.pull_ms)::float8 AS "pullMsP50",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.pull_ms)::float8 AS "pullMsP95",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY r.push_ms)::float8 AS "pushMsP50",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.push_ms)::float8 AS "pushMsP95",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY r.converged_ms)::float8 AS "convergedMsP50",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r.converged_ms)::float8 AS "convergedMsP95"
    FROM device_reports r
    JOIN devices d ON d.id = r.device_id
    JOIN sites s ON s.id = d.site_id
    WHERE r.reported_at >= ${filter.since} ${inOrganisation} ${atSite}
    GROUP BY 1
    ORDER BY 1`);
  return (result as unknown as { rows: SyncHealthBucket[] }).rows;
}
