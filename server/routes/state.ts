import type { FastifyInstance } from 'fastify';
import { fetchRecordsRequestSchema, stateBucketsRequestSchema, stateRequestSchema } from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { parseWith, schemaVersionOfBody } from '../requests.js';
import { authenticateDevice } from '../auth.js';
import { findScopeRecords } from '../db/queries/state.js';
import { canonicalFor } from '../sync/canonical.js';
import { scopeBuckets, scopeState } from '../sync/state.js';

/**
 * The state check (anti-entropy): a device compares the hash of the records it holds with the
 * office's hash of the same records, narrows a difference down by bucket, and fetches the records
 * that differ again. Reads only, each within the device's site's scope.
 */
export function registerStateRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { db } = context.database;

  app.post('/v1/sync/state', async (request) => {
    const device = await authenticateDevice(db, request);
    schemaVersionOfBody(request.body);
    return scopeState(db, device.siteId, parseWith(stateRequestSchema, request.body));
  });

  app.post('/v1/sync/state/buckets', async (request) => {
    const device = await authenticateDevice(db, request);
    schemaVersionOfBody(request.body);
    return { records: await scopeBuckets(db, device.siteId, parseWith(stateBucketsRequestSchema, request.body)) };
  });

  app.post('/v1/sync/records', async (request) => {
    const device = await authenticateDevice(db, request);
    const clientVersion = schemaVersionOfBody(request.body);
    const { keys } = parseWith(fetchRecordsRequestSchema, request.body);
    const found = await findScopeRecords(db, device.siteId, keys);
    return { records: found.map((record) => canonicalFor(record, clientVersion)) };
  });
}
