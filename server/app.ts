import { constants as zlibConstants } from 'node:zlib';
import compress from '@fastify/compress';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Clock, Randomness } from '../protocol/runtime.js';
import type { Signer } from '../protocol/crypto/ed25519.js';
import { CURRENT_SCHEMA_VERSION, MINIMUM_SCHEMA_VERSION, SCHEMA_VERSION_HEADER, type ApiError, type UpdateRequired } from '../protocol/wire.js';
import type { AttachmentStorage } from './attachments/storage.js';
import type { OfficeDatabase } from './db/connect.js';
import { isDatabaseUnavailable } from './db/errors.js';
import { ApiFailure, RETRY_AFTER_SECONDS, unavailable } from './errors.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAttachmentRoutes } from './routes/attachments.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerEnrollmentRoutes } from './routes/enroll.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerOfficeRoutes } from './routes/office.js';
import { registerReviewRoutes } from './routes/review.js';
import { registerStateRoutes } from './routes/state.js';
import { registerSyncRoutes } from './routes/sync.js';
import { registerTextGuard } from './text-guard.js';
import { TEXT_RULE } from '../protocol/text.js';
import type { SyncAdmission } from './sync/admission.js';
import { ChangeNotifier, notificationChannel } from './sync/notifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Office clock when the request arrived. */
    receivedAt: number;
  }
}

export interface ServerDeps {
  database: OfficeDatabase;
  clock: Clock;
  random: Randomness;
  /** Signs anchor receipts; its public key is handed to devices at enrollment. */
  serverSigner: Signer;
  logger: FastifyBaseLogger;
  config: ServerSettings;
  /**
   * Where attachment bytes are kept; by default local disk in `config.attachmentsDir` when set,
   * else the database on Postgres (shared by every instance), else a temporary directory.
   */
  attachmentStorage?: AttachmentStorage;
  /** Turns for pushes and pulls on this instance; by default those of `defaultAdmission` for the default pool. */
  syncAdmission?: SyncAdmission;
}

export interface ServerSettings {
  /** A device clock further off than this is implausible: its entries are ordered by receipt. */
  maxClockSkewMs: number;
  /** Slack on each bound of an entry's effective time (protocol/time.ts); default 2 s. */
  clockToleranceMs?: number;
  /** How often an idle event stream gets a keep-alive comment. */
  eventKeepAliveMs?: number;
  /** Attachments on local disk; without it (and without a storage) the database on Postgres, else a temporary directory removed at close. */
  attachmentsDir?: string;
  /** How long /ready waits for the database before it answers not ready; default 1 s. */
  readyTimeoutMs?: number;
}

/** What every route module gets: the injected dependencies plus the live-notification hub. */
export interface ServiceContext extends ServerDeps {
  notifier: ChangeNotifier;
  /** False once shutdown began: readiness fails so load balancers drain the instance. */
  accepting: boolean;
}

/**
 * The office sync service as a Fastify instance, built from injected dependencies so tests run it
 * on PGlite or a throwaway Postgres schema with a manual clock. Route modules register themselves
 * here; later modules (review, audit, attachments) add theirs the same way.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: 1024 * 1024,
    // Node closes idle keep-alive sockets itself; event streams end in onClose below.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // A URL that does not decode (a lone surrogate's bytes, a stray %) is refused in the wire's words.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const message = error.code === 'FST_ERR_BAD_URL' ? `invalid path: it does not decode to text; ${TEXT_RULE}` : error.message;
      return reply.status(400).send({ code: 'invalid-request', message } satisfies ApiError);
    },
  });
  // Field devices pay for every byte on cellular links: JSON answers are compressed when the
  // device accepts it, and compressed request bodies are taken (limits apply to what they inflate to).
  await app.register(compress, {
    encodings: ['br', 'gzip'],
    requestEncodings: ['gzip', 'br'],
    threshold: 1024,
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } },
  });
  const notifier = new ChangeNotifier(deps.database, notificationChannel(deps.database.schema), deps.logger);
  await notifier.start();
  const context: ServiceContext = { ...deps, notifier, accepting: true };
  // The office's receipt time of a request bounds the sender's clock (protocol/time.ts): taken
  // before any queueing for the body or the database, which would only loosen that bound.
  app.decorateRequest('receivedAt', 0);
  app.addHook('onRequest', async (request) => {
    request.receivedAt = deps.clock.now();
  });
  registerTextGuard(app);

  // JSON endpoints take JSON only: a text body would reach them as a string and be refused for
  // what it seems to lack (a schema version) instead of for its type.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: FastifyError | ApiFailure, request, reply) => {
    const failure = error instanceof ApiFailure ? error : (clientErrorFor(error, request.headers['content-type']) ?? databaseFailure(error, request.log));
    if (!failure) {
      request.log.error({ err: error }, 'request failed');
      return reply.status(500).send({ code: 'internal', message: 'internal error; the request was not applied' } satisfies ApiError);
    }
    if (failure.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return reply.status(failure.status).send({ code: failure.code, message: failure.message, ...failure.extra });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ code: 'not-found', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ApiError),
  );
  // Before the listener closes: event streams never end by themselves and would hold it open.
  app.addHook('preClose', async () => {
    context.accepting = false;
    await notifier.stop();
  });

  registerHealthRoutes(app, context);
  registerEnrollmentRoutes(app, context);
  registerSyncRoutes(app, context);
  registerStateRoutes(app, context);
  registerAdminRoutes(app, context);
  registerOfficeRoutes(app, context);
  registerReviewRoutes(app, context);
  registerAuditRoutes(app, context);
  registerAttachmentRoutes(app, context);
  return app;
}

/** Fastify's own refusals (body too large or of a type not taken, unparsable JSON, poisoned keys) as wire errors. */
function clientErrorFor(error: FastifyError, contentType: string | undefined): ApiFailure | null {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiFailure(413, 'payload-too-large', 'request body is larger than this endpoint accepts');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const body = contentType ? `a body of type ${JSON.stringify(contentType.slice(0, 100))}` : 'a body without a content type';
    return new ApiFailure(415, 'unsupported-media-type', `this endpoint does not take ${body}; send JSON as application/json`);
  }
  const status = error.statusCode ?? 500;
  // A body compressed in a way the office does not take (@fastify/compress answers these).
  if (status === 415) return new ApiFailure(415, 'unsupported-media-type', `${error.message}; send gzip or br, or no content-encoding`);
  return status >= 400 && status < 500 ? new ApiFailure(status, 'invalid-request', error.message) : null;
}

/** A database that cannot be reached or did not answer in time: the same request may succeed later. */
function databaseFailure(error: unknown, log: FastifyBaseLogger): ApiFailure | null {
  if (!isDatabaseUnavailable(error)) return null;
  log.warn({ err: error }, 'the database is unavailable; answered 503');
  return unavailable(`the office cannot reach its database right now; try again in ${RETRY_AFTER_SECONDS} s`);
}

/** Parses a request part with a wire schema; a mismatch is a 400 naming each problem. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message }));
  const first = issues[0]!;
  throw new ApiFailure(400, 'invalid-request', `invalid ${what}: ${first.path}: ${first.message}`, { issues });
}

/** The client schema versions this server accepts (tests check the rule with other windows). */
export interface SchemaWindow {
  minimum: number;
  current: number;
}

export const SCHEMA_WINDOW: SchemaWindow = { minimum: MINIMUM_SCHEMA_VERSION, current: CURRENT_SCHEMA_VERSION };

/**
 * Checks the client's schema version before its body is parsed, so a client too old to be
 * understood is told to update rather than that its request is malformed.
 */
export function checkSchemaVersion(version: unknown, window: SchemaWindow = SCHEMA_WINDOW): number {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    throw new ApiFailure(400, 'invalid-request', `the client schema version (schemaVersion in the body, or the ${SCHEMA_VERSION_HEADER} header) is required`);
  }
  const { minimum, current } = window;
  if (version < minimum) {
    const body: Omit<UpdateRequired, 'code' | 'message'> = { minimumVersion: minimum, currentVersion: current };
    throw new ApiFailure(426, 'update-required', `this app (schema ${version}) is too old to sync; update to schema ${minimum} or later`, body);
  }
  if (version > current) {
    throw new ApiFailure(400, 'schema-version-unsupported', `this server speaks schema ${minimum}..${current}, not ${version}`, {
      minimumVersion: minimum,
      currentVersion: current,
    });
  }
  return version;
}

export function schemaVersionOfBody(body: unknown): number {
  const version = typeof body === 'object' && body !== null ? (body as { schemaVersion?: unknown }).schemaVersion : undefined;
  return checkSchemaVersion(version);
}

/**
 * Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts whatever
 * connections remain (clients holding idle or never-used keep-alive sockets would otherwise keep
 * the listener open until their own timeouts).
 */
export async function closeServer(app: FastifyInstance, graceMs: number): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
}
