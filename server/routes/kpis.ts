import type { FastifyInstance } from 'fastify';
import { type ConflictRates, DEFAULT_KPI_DAYS, type SyncHealth, conflictRatesQuerySchema } from '../../protocol/wire.js';
import { authenticateOfficeUser } from '../auth.js';
import type { ServiceContext } from '../context.js';
import { fieldOutcomeCounts, syncHealthOverTime } from '../db/queries/kpis.js';
import { conflictRates } from '../fleet/conflict-rates.js';
import { bucketMsFor } from '../fleet/reports.js';
import { parseWith } from '../requests.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The field KPIs the fleet page charts beyond the device list. */
export function registerKpiRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get('/v1/admin/kpis/conflicts', async (request): Promise<ConflictRates> => {
    const user = await authenticateOfficeUser(context, request, 'administer');
    const { siteId, days = DEFAULT_KPI_DAYS } = parseWith(conflictRatesQuerySchema, request.query, 'query');
    const until = context.clock.now();
    const since = until - days * DAY_MS;
    const counts = await fieldOutcomeCounts(context.database.db, { organisationId: user.organisationId, siteId, since });
    return { since, until, rates: conflictRates(counts) };
  });

  app.get('/v1/admin/kpis/sync', async (request): Promise<SyncHealth> => {
    const user = await authenticateOfficeUser(context, request, 'administer');
    const { siteId, days = DEFAULT_KPI_DAYS } = parseWith(conflictRatesQuerySchema, request.query, 'query');
    const until = context.clock.now();
    const since = until - days * DAY_MS;
    const bucketMs = bucketMsFor(days);
    const buckets = await syncHealthOverTime(context.database.db, { organisationId: user.organisationId, siteId, since, bucketMs });
    return { since, until, bucketMs, buckets };
  });
}
