import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { identifier } from '../../protocol/journal.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import { AUDIT_EXPORT_CONTENT_TYPE, auditExportQuerySchema, auditSearchQuerySchema } from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { parseWith } from '../requests.js';
import { assertOrganisationAccess, authenticateOfficeUser } from '../auth.js';
import { auditExportLines, planAuditExport } from '../audit/export.js';
import { buildRecordHistory } from '../audit/history.js';
import { searchAudit } from '../audit/search.js';
import { type WriteWithNames, findRecordVersions, findRecordWrites } from '../audit/queries.js';
import type { OfficeDb } from '../db/connect.js';
import { findDevice, findSite } from '../db/queries/identity.js';
import { findRecord } from '../db/queries/records.js';
import type { ServerRecord } from '../db/schema.js';
import { notFound } from '../errors.js';
import { findReviewItemsOfRecord } from '../review/queries.js';

const recordParams = z.strictObject({ type: identifier, id: identifier });

/** Audit: a record's full history, and exports of devices' journals that verify offline. */
export function registerAuditRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { db } = context.database;
  const auditor = (request: FastifyRequest) => authenticateOfficeUser(context, request, 'readAudit');

  app.get('/v1/audit/records/:type/:id/history', async (request) => {
    const user = await auditor(request);
    const { type, id } = parseWith(recordParams, request.params, 'path');
    if (!recordTypeSpec(type)) throw notFound(`record type ${type}`);
    const [record, writes] = await Promise.all([findRecord(db, type, id), findRecordWrites(db, type, id)]);
    const organisationId = await organisationOf(db, record, writes);
    if (organisationId === null) throw notFound(`${type} ${id}`);
    assertOrganisationAccess(user, organisationId);
    const [versions, reviews] = await Promise.all([findRecordVersions(db, type, id), findReviewItemsOfRecord(db, type, id)]);
    return buildRecordHistory({ record, versions, writes, reviews });
  });

  app.get('/v1/audit/search', async (request) => {
    const user = await auditor(request);
    return searchAudit(db, user.organisationId, parseWith(auditSearchQuerySchema, request.query, 'query'));
  });

  app.get('/v1/audit/export', async (request, reply) => {
    const user = await auditor(request);
    const query = parseWith(auditExportQuerySchema, request.query, 'query');
    const plan = await planAuditExport(db, user, query);
    const exportedAt = context.clock.now();
    const lines = auditExportLines(db, plan, { exportedAt, exportedBy: user.id, serverSigner: context.serverSigner });
    return reply
      .type(AUDIT_EXPORT_CONTENT_TYPE)
      .header('content-disposition', `attachment; filename="waypost-audit-${exportedAt}.jsonl"`)
      .send(Readable.from(lines));
  });
}

/**
 * The organisation a record belongs to: its site's; for a record that never came to exist (every
 * device write refused; refused office writes leave no trace), the organisation of the device that tried.
 */
async function organisationOf(db: OfficeDb, record: ServerRecord | null, writes: readonly WriteWithNames[]): Promise<string | null> {
  const deviceId = writes.find(({ write }) => write.deviceId !== null)?.write.deviceId;
  const siteId = record?.siteId ?? (deviceId ? (await findDevice(db, deviceId))?.siteId : undefined);
  return siteId ? ((await findSite(db, siteId))?.organisationId ?? null) : null;
}
