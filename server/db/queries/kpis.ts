import { sql } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';

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
