import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type ConsoleSession,
  consoleSignInSchema,
  signOutSchema,
} from '../../protocol/wire.js';
import { authenticateOffice } from '../auth.js';
import { assertSameOrigin, clearSessionCookie, csrfTokenOf, setSessionCookie } from '../console/browser.js';
import { consoleUserOf, signIn } from '../console/sign-in.js';
import type { ServiceContext } from '../context.js';
import { revokeConsoleSessions } from '../db/queries/console.js';
import type { OfficeUser } from '../db/queries/identity.js';
import { ApiFailure } from '../errors.js';
import { parseWith } from '../requests.js';

/** Sign-in takes a name and a password: nothing near the office's general body limit. */
const BODY_LIMIT = 16 * 1024;

/** Console sign-in, who am I, and sign-out (protocol/wire/console.ts). */
export function registerConsoleSessionRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { db } = context.database;
  const settings = context.consoleSettings;

  const sessionAnswer = (user: OfficeUser, session: { secret: string; expiresAt: number } | null): ConsoleSession => ({
    user: consoleUserOf(user),
    csrfToken: session ? csrfTokenOf(session.secret) : null,
    expiresAt: session?.expiresAt ?? null,
    idleTimeoutMs: session ? settings.idleTimeoutMs : null,
  });

  app.post('/v1/console/sign-in', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    // Signing a victim's browser in to the attacker's account is a forgery too.
    assertSameOrigin(request, settings, true);
    const input = parseWith(consoleSignInSchema, request.body);
    const { user, session, secret } = await signIn(context, input, { address: request.ip, userAgent: userAgentOf(request) });
    setSessionCookie(request, reply, settings, secret, settings.sessionTtlMs);
    request.log.info({ userId: user.id, sessionId: session.id }, 'console sign-in');
    return sessionAnswer(user, { secret, expiresAt: session.expiresAt });
  });

  app.get('/v1/console/me', async (request) => {
    const { user, session } = await authenticateOffice(context, request, 'console');
    return sessionAnswer(user, session && { secret: session.secret, expiresAt: session.row.expiresAt });
  });

  app.post('/v1/console/sign-out', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const { session } = await authenticateOffice(context, request, 'console');
    parseWith(signOutSchema, request.body ?? {});
    if (!session) throw new ApiFailure(400, 'invalid-request', 'sign-out ends a console session; an API token is revoked by an administrator');
    const endedSessions = await revokeConsoleSessions(db, { sessionId: session.row.id }, context.clock.now(), 'sign-out');
    clearSessionCookie(request, reply, settings);
    return { endedSessions };
  });

  app.post('/v1/console/sign-out-everywhere', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const { user, session } = await authenticateOffice(context, request, 'console');
    parseWith(signOutSchema, request.body ?? {});
    const endedSessions = await revokeConsoleSessions(db, { userId: user.id }, context.clock.now(), 'sign-out-everywhere');
    if (session) clearSessionCookie(request, reply, settings);
    request.log.info({ userId: user.id, endedSessions }, 'console sessions ended everywhere');
    return { endedSessions };
  });
}

function userAgentOf(request: FastifyRequest): string | null {
  const agent = request.headers['user-agent'];
  return typeof agent === 'string' ? agent : null;
}
