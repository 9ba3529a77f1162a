import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { identifier } from '../../protocol/journal.js';
import { randomId } from '../../protocol/runtime.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import {
  CURRENT_SCHEMA_VERSION,
  MAX_BOARD_ORDERS,
  SYNC_EVENTS,
  type SyncEventData,
  type OfficeDirectory,
  type WorkOrderBoard,
  createWorkOrderSchema,
  deleteWorkOrderSchema,
  updateWorkOrderSchema,
  workOrderBoardQuerySchema,
} from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { parseWith } from '../requests.js';
import { assertOrganisationAccess, authenticateOfficeUser } from '../auth.js';
import { latestFieldWrites, listWorkOrders, organisationDirectory } from '../db/queries/board.js';
import { findSite } from '../db/queries/identity.js';
import { findRecord } from '../db/queries/records.js';
import { notFound } from '../errors.js';
import { unitsOutOfService } from '../maintenance/service.js';
import { canonicalFor } from '../sync/canonical.js';
import { openEventStream } from '../sync/event-stream.js';
import { setOperations, writeAsOffice } from '../sync/office-writes.js';

const idParams = z.strictObject({ id: identifier });
const recordParams = z.strictObject({ type: identifier, id: identifier });

/** The dispatcher's API: work orders created, assigned and edited from the office. */
export function registerOfficeRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { db } = context.database;

  app.get('/v1/office/directory', async (request): Promise<OfficeDirectory> => {
    const user = await authenticateOfficeUser(context, request, 'console');
    const directory = await organisationDirectory(db, user.organisationId);
    return { user: { id: user.id, name: user.name, role: user.role, organisationId: user.organisationId }, ...directory };
  });

  /**
   * The console's live channel: `ready` once subscribed (read then, so nothing committed before is
   * missed), then `changes` for the organisation's sites, at most one per site per window.
   */
  app.get('/v1/office/events', async (request, reply) => {
    const user = await authenticateOfficeUser(context, request, 'console');
    const { sites } = await organisationDirectory(db, user.organisationId);
    const events = openEventStream(request, reply, context, () => unwatch());
    const unwatch = context.notifier.watch({
      sites: new Set(sites.map((site) => site.id)),
      changes: (siteId, event) => events.send(SYNC_EVENTS.changes, { siteId, ...event } satisfies SyncEventData),
      missed: events.end,
    });
    events.send(SYNC_EVENTS.ready, { at: context.clock.now() });
  });

  app.get('/v1/office/work-orders', async (request): Promise<WorkOrderBoard> => {
    const user = await authenticateOfficeUser(context, request, 'readRecords');
    const query = parseWith(workOrderBoardQuerySchema, request.query, 'query');
    const found = await listWorkOrders(db, { organisationId: user.organisationId, ...query, limit: MAX_BOARD_ORDERS + 1 });
    const shown = found.slice(0, MAX_BOARD_ORDERS);
    const field = await latestFieldWrites(db, 'workOrder', shown.map((record) => record.id));
    const units = shown.flatMap((record) => (typeof record.fields.equipmentNumber === 'string' ? [record.fields.equipmentNumber] : []));
    return {
      unitsOutOfService: await unitsOutOfService(db, user.organisationId, units),
      orders: shown.map((record) => ({ record: canonicalFor(record, CURRENT_SCHEMA_VERSION), updatedAt: record.updatedAt, field: field.get(record.id) ?? null })),
      truncated: found.length > MAX_BOARD_ORDERS,
    };
  });

  app.post('/v1/office/work-orders', async (request, reply) => {
    const user = await authenticateOfficeUser(context, request, 'editWorkOrders');
    const { id, ...values } = parseWith(createWorkOrderSchema, request.body);
    const result = await writeAsOffice(context, user, {
      recordType: 'workOrder',
      recordId: id ?? randomId(context.random, 'workOrder'),
      action: 'create',
      ops: setOperations({ status: 'open', priority: 'normal', ...values }),
    });
    return reply.status(201).send(result);
  });

  app.patch('/v1/office/work-orders/:id', async (request) => {
    const user = await authenticateOfficeUser(context, request, 'editWorkOrders');
    const { id } = parseWith(idParams, request.params, 'path');
    const { baseVersion, set } = parseWith(updateWorkOrderSchema, request.body);
    return writeAsOffice(context, user, { recordType: 'workOrder', recordId: id, action: 'update', ops: setOperations(set), baseVersion });
  });

  app.delete('/v1/office/work-orders/:id', async (request) => {
    const user = await authenticateOfficeUser(context, request, 'editWorkOrders');
    const { id } = parseWith(idParams, request.params, 'path');
    const { baseVersion } = parseWith(deleteWorkOrderSchema, request.body ?? {});
    return writeAsOffice(context, user, { recordType: 'workOrder', recordId: id, action: 'delete', ops: [{ op: 'tombstone' }], baseVersion });
  });

  app.get('/v1/office/records/:type/:id', async (request) => {
    const user = await authenticateOfficeUser(context, request, 'readRecords');
    const { type, id } = parseWith(recordParams, request.params, 'path');
    if (!recordTypeSpec(type)) throw notFound(`record type ${type}`);
    const record = await findRecord(db, type, id);
    const site = record ? await findSite(db, record.siteId) : null;
    if (!record || !site) throw notFound(`${type} ${id}`);
    assertOrganisationAccess(user, site.organisationId);
    return canonicalFor(record, CURRENT_SCHEMA_VERSION);
  });
}
