import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type ConflictRates, DEFAULT_KPI_DAYS, type SyncHealth, kpiQuerySchema } from '../../protocol/wire.js';
import { authenticateOfficeUser } from '../auth.js';
import type { ServiceContext } from '../context.js';
import { fieldOutcomeCounts, syncHealthOverTime } from '../db/queries/kpis.js';
import { conflictRates } from '../fleet/conflict-rates.js';
import { bucketMsFor } from '../fleet/reports.js';
import { parseWith } from '../requests.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The field KPIs the fleet page charts beyond the device list. */
export function registerKpiRoutes(app: FastifyInstance, context: ServiceContext): void {
  /** Who asks (an administrator), for which site, over which window ending now. */
  async function kpiRequest(request: FastifyRequest) {
    const user = await authenticateOfficeUser(context, request, 'administer');
    const { siteId, days = DEFAULT_KPI_DAYS } = parseWith(kpiQuerySchema, request.query, 'query');
    const until = context.clock.now();
    return { filter: { organisationId: user.organisationId, siteId, since: until - days * DAY_MS }, days, until };
  }

  app.get('/v1/admin/kpis/conflicts', async (request): Promise<ConflictRates> => {
    const { filter, until } = await kpiRequest(request);
    const counts = await fieldOutcomeCounts(context.database.db, filter);
    return { since: filter.since, until, rates: conflictRates(counts) };
  });

  app.get('/v1/admin/kpis/sync', async (request): Promise<SyncHealth> => {
    const { filter, days, until } = await kpiRequest(request);
    const bucketMs = bucketMsFor(days);
    const buckets = await syncHealthOverTime(context.database.db, { ...filter, bucketMs });
    return { since: filter.since, until, bucketMs, buckets };
  });
}
