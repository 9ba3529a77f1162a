import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hex32 } from '../../protocol/journal.js';
import { ATTACHMENT_MIME_TYPES } from '../../protocol/records/attachments.js';
import { MAX_ATTACHMENT_CHUNK_BYTES, UPLOAD_OFFSET_HEADER, attachmentBatchSchema, startAttachmentUploadSchema } from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { checkSchemaVersion, parseWith, schemaVersionOfBody } from '../requests.js';
import { DatabaseAttachmentStorage } from '../attachments/database-storage.js';
import { type AttachmentDeps, type Uploader, attachmentStatus, putChunk, settleBatch, startUpload } from '../attachments/service.js';
import { type AttachmentStorage, DiskAttachmentStorage } from '../attachments/storage.js';
import { findAttachment } from '../attachments/queries.js';
import { assertOrganisationAccess, authenticateDevice, authenticateOfficeUser, bearerToken } from '../auth.js';
import { sessionSecretOf } from '../console/browser.js';
import { findSite } from '../db/queries/identity.js';
import { ApiFailure, notFound } from '../errors.js';
import { attachmentsWrittenTo, findReviewItem } from '../review/queries.js';
import { upgradeRequest } from '../sync/upgrade.js';
import { schemaVersionHeader } from './sync.js';

const hashParams = z.strictObject({ sha256: hex32 });
const reviewAttachmentParams = z.strictObject({ id: z.string().regex(/^[1-9]\d{0,15}$/, 'a review item id').transform(Number), sha256: hex32 });
const OCTET_STREAM = 'application/octet-stream';

/**
 * Attachments: devices send small ones whole and declare large ones in batches, and upload large
 * ones in resumable chunks (see protocol/wire/attachments.ts); devices and office users of the
 * organisation ask how far an upload got and read stored ones.
 */
export function registerAttachmentRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { db } = context.database;
  const deps: AttachmentDeps = { db, storage: storageFor(app, context), now: () => context.clock.now() };

  const uploader = async (request: FastifyRequest): Promise<Uploader> => {
    const device = await authenticateDevice(db, request);
    const site = await findSite(db, device.siteId);
    if (!site) throw new Error(`device ${device.id} names missing site ${device.siteId}`);
    return { device, organisationId: site.organisationId };
  };

  /** Devices speak a schema version; office users (API tokens start `wpo_`, or a console session without a token) read for the console. */
  const readerOrganisation = async (request: FastifyRequest): Promise<string | null> => {
    const token = bearerToken(request);
    if (token?.startsWith('wpo_') || (request.headers.authorization === undefined && sessionSecretOf(request, context.consoleSettings) !== null)) {
      return (await authenticateOfficeUser(context, request, 'readAttachments')).organisationId;
    }
    const { organisationId } = await uploader(request);
    checkSchemaVersion(schemaVersionHeader(request));
    return organisationId;
  };

  app.register(async (scope) => {
    // Chunks are raw bytes; only these routes accept them.
    scope.addContentTypeParser(OCTET_STREAM, { parseAs: 'buffer', bodyLimit: MAX_ATTACHMENT_CHUNK_BYTES }, (_request, body, done) => done(null, body));

    scope.post('/v1/attachments', async (request, reply) => {
      const who = await uploader(request);
      const clientVersion = schemaVersionOfBody(request.body);
      const declared = parseWith(startAttachmentUploadSchema, upgradeRequest('attachment', request.body, clientVersion));
      const { status, created } = await startUpload(deps, who, declared);
      return reply.status(created ? 201 : 200).send(status);
    });

    scope.post('/v1/attachments/batch', async (request) => {
      const who = await uploader(request);
      const clientVersion = schemaVersionOfBody(request.body);
      const batch = parseWith(attachmentBatchSchema, upgradeRequest('attachment-batch', request.body, clientVersion));
      return { attachments: await settleBatch(deps, who, batch.attachments) };
    });

    scope.get('/v1/attachments/:sha256', async (request) => {
      const organisationId = await readerOrganisation(request);
      const { sha256 } = parseWith(hashParams, request.params, 'path');
      return attachmentStatus(deps, organisationId, sha256);
    });

    scope.patch('/v1/attachments/:sha256', { bodyLimit: MAX_ATTACHMENT_CHUNK_BYTES }, async (request) => {
      const who = await uploader(request);
      checkSchemaVersion(schemaVersionHeader(request));
      const { sha256 } = parseWith(hashParams, request.params, 'path');
      const offset = uploadOffset(request);
      if (!Buffer.isBuffer(request.body)) throw new ApiFailure(415, 'invalid-request', `send the chunk as ${OCTET_STREAM}`);
      return putChunk(deps, who, sha256, offset, request.body);
    });

    scope.get('/v1/attachments/:sha256/content', async (request, reply) => {
      const organisationId = await readerOrganisation(request);
      const { sha256 } = parseWith(hashParams, request.params, 'path');
      const status = await attachmentStatus(deps, organisationId, sha256);
      if (!status.stored) throw notFound(`stored attachment ${sha256} (its upload is not complete)`);
      return reply.type(status.mimeType).header('content-length', status.size).send(deps.storage.read(sha256));
    });
  });

  /**
   * The photos and signatures of a review item's record, for those who see the review queue: 200
   * with the bytes, or 204 while the office does not hold them yet (the device has not uploaded
   * them), which the console shows as such rather than as a failure. 404 for an attachment the
   * record was never written with.
   */
  app.get('/v1/office/review-items/:id/attachments/:sha256', async (request, reply) => {
    const user = await authenticateOfficeUser(context, request, 'readReviewQueue');
    const { id, sha256 } = parseWith(reviewAttachmentParams, request.params, 'path');
    const view = await findReviewItem(db, id);
    if (!view) throw notFound(`review item ${id}`);
    assertOrganisationAccess(user, view.organisationId);
    if (!(await attachmentsWrittenTo(db, view.item.recordType, view.item.recordId)).has(sha256)) {
      throw notFound(`attachment ${sha256} of ${view.item.recordType} ${view.item.recordId}`);
    }
    const stored = await findAttachment(db, view.organisationId, sha256);
    // Kept out of the browser's cache: a cached copy would be served without asking who is signed in.
    reply.header('cache-control', 'no-store');
    if (!stored || stored.storedAt === null) return reply.status(204).send();
    // Devices declare the type; only the image types attachments are meant to be are served as such.
    const type = (ATTACHMENT_MIME_TYPES as readonly string[]).includes(stored.mimeType) ? stored.mimeType : OCTET_STREAM;
    return reply.type(type).header('content-length', stored.size).header('x-content-type-options', 'nosniff').send(deps.storage.read(sha256));
  });
}

function uploadOffset(request: FastifyRequest): number {
  const header = request.headers[UPLOAD_OFFSET_HEADER];
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header)) {
    throw new ApiFailure(400, 'invalid-request', `send the chunk's offset in the ${UPLOAD_OFFSET_HEADER} header (the received count the server reports)`);
  }
  return Number(header);
}

/**
 * The injected storage; else local disk in the configured directory (WAYPOST_ATTACHMENTS_DIR, or
 * the embedded database's data directory); else, on Postgres, the database itself, which every
 * office instance on it shares; else, for an embedded database in memory, a temporary directory.
 */
function storageFor(app: FastifyInstance, context: ServiceContext): AttachmentStorage {
  if (context.attachmentStorage) return context.attachmentStorage;
  const { attachmentsDir } = context.config;
  const { backend, db } = context.database;
  if (attachmentsDir) {
    if (backend === 'postgres') {
      context.logger.info({ dir: attachmentsDir }, 'attachments are kept on disk: every office instance on this database must see this same directory');
    }
    return new DiskAttachmentStorage(attachmentsDir);
  }
  if (backend === 'postgres') {
    context.logger.info('attachments are kept in the database, shared by every office instance on it');
    return new DatabaseAttachmentStorage(db);
  }
  const dir = mkdtempSync(join(tmpdir(), 'waypost-attachments-'));
  context.logger.warn({ dir }, 'attachments are kept in a temporary directory and removed at shutdown (set WAYPOST_ATTACHMENTS_DIR)');
  app.addHook('onClose', async () => rmSync(dir, { recursive: true, force: true }));
  return new DiskAttachmentStorage(dir);
}
