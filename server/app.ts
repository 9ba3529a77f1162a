import { constants as zlibConstants } from 'node:zlib';
import compress from '@fastify/compress';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import type { ApiError } from '../protocol/wire.js';
import { isDatabaseUnavailable } from './db/errors.js';
import { ApiFailure, RETRY_AFTER_SECONDS, unavailable } from './errors.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerUpdateRoutes } from './routes/updates.js';
import { registerAttachmentRoutes } from './routes/attachments.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerConsoleRoutes } from './routes/console.js';
import { registerConsoleSessionRoutes } from './routes/console-session.js';
import { registerEnrollmentRoutes } from './routes/enroll.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerKpiRoutes } from './routes/kpis.js';
import { registerMaintenanceRoutes } from './routes/maintenance.js';
import { registerOfficeRoutes } from './routes/office.js';
import { registerReviewRoutes } from './routes/review.js';
import { registerStateRoutes } from './routes/state.js';
import { registerSyncRoutes } from './routes/sync.js';
import { registerTextGuard } from './text-guard.js';
import { TEXT_RULE } from '../protocol/text.js';
import { ChangeNotifier, notificationChannel } from './sync/notifier.js';
import type { ServerDeps, ServiceContext } from './context.js';
import { scryptPasswords } from './console/passwords.js';
import { DEFAULT_CONSOLE_SETTINGS } from './console/session-policy.js';

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
    // A fleet reconnecting makes thousands of requests a minute: each is logged at debug (below),
    // failures at warn or error where they are handled.
    logController: new LogController({ disableRequestLogging: true }),
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
  const context: ServiceContext = {
    ...deps,
    notifier,
    accepting: true,
    passwordHasher: deps.passwordHasher ?? scryptPasswords(deps.random),
    consoleSettings: { ...DEFAULT_CONSOLE_SETTINGS, ...deps.config.console },
  };
  // The office's receipt time of a request bounds the sender's clock (protocol/time.ts): taken
  // before any queueing for the body or the database, which would only loosen that bound.
  app.decorateRequest('receivedAt', 0);
  app.addHook('onRequest', async (request) => {
    request.receivedAt = deps.clock.now();
  });
  registerTextGuard(app);
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  // JSON endpoints take JSON only: a text body would reach them as a string and be refused for
  // what it seems to lack (a schema version) instead of for its type.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: FastifyError | ApiFailure, request, reply) => {
    // A device that lost its link mid-upload: its request's body stream fails, which is no fault
    // of the office's (no error logged). Nobody is left to read the answer.
    if (!request.raw.complete && request.raw.destroyed) {
      request.log.info({ method: request.method, url: request.url.split('?')[0], reason: error.message }, 'the client closed the request before sending all of it; nothing of it was kept');
      return reply.status(400).send({ code: 'request-incomplete', message: 'the request ended before its body was complete; nothing of it was kept' } satisfies ApiError);
    }
    const failure = error instanceof ApiFailure ? error : (clientErrorFor(error, request.headers['content-type']) ?? databaseFailure(error, request.log));
    if (!failure) {
      request.log.error({ err: error }, 'request failed');
      return reply.status(500).send({ code: 'internal', message: 'internal error; the request was not applied' } satisfies ApiError);
    }
    if (failure.status === 503 || failure.status === 429) reply.header('retry-after', String(failure.retryAfterSeconds));
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
  registerConsoleSessionRoutes(app, context);
  registerAdminRoutes(app, context);
  registerOfficeRoutes(app, context);
  registerReviewRoutes(app, context);
  registerMaintenanceRoutes(app, context);
  registerKpiRoutes(app, context);
  registerAuditRoutes(app, context);
  registerAttachmentRoutes(app, context);
  await registerUpdateRoutes(app, context);
  await registerConsoleRoutes(app, context);
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
