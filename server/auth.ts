import type { FastifyRequest } from 'fastify';
import type { Randomness } from '../protocol/runtime.js';
import { sha256Hex } from '../protocol/crypto/hash.js';
import { OFFICE_ACCESS, type OfficeCapability, type OfficeRole } from '../protocol/office-access.js';
import { assertCsrfToken, assertSameOrigin, isSafeMethod, sessionSecretOf } from './console/browser.js';
import { sessionStanding } from './console/session-policy.js';
import type { ServiceContext } from './context.js';
import type { OfficeDb } from './db/connect.js';
import { type ConsoleSessionRow, findConsoleSession, touchConsoleSession } from './db/queries/console.js';
import { type Device, type OfficeUser, findDeviceByCredential, findOfficeUserByToken } from './db/queries/identity.js';
import { ApiFailure } from './errors.js';

/**
 * Bearer secrets (device credentials, office API tokens, one-time enrollment tokens) are random,
 * shown once, and stored only as SHA-256 hashes: a leaked database does not leak credentials. The
 * prefix tells a person which kind of secret they are holding.
 */
export type SecretKind = 'device' | 'office' | 'enrollment';
const PREFIX: Record<SecretKind, string> = { device: 'wpd', office: 'wpo', enrollment: 'wpe' };

export function newSecret(random: Randomness, kind: SecretKind): string {
  return `${PREFIX[kind]}_${Buffer.from(random.bytes(32)).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return sha256Hex(secret);
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([A-Za-z0-9_\-.~+/=]{16,300})$/.exec(header.trim());
  return match?.[1] ?? null;
}

/** The enrolled, unrevoked device the request's credential belongs to. */
export async function authenticateDevice(db: OfficeDb, request: FastifyRequest): Promise<Device> {
  const token = bearerToken(request);
  if (!token) throw new ApiFailure(401, 'unauthorized', 'send the device credential as "Authorization: Bearer <credential>"');
  const device = await findDeviceByCredential(db, hashSecret(token));
  if (!device) throw new ApiFailure(401, 'unauthorized', 'unknown device credential; enroll the device again');
  assertNotRevoked(device);
  return device;
}

export function assertNotRevoked(device: Device): void {
  if (device.revokedAt !== null) {
    throw new ApiFailure(403, 'device-revoked', `device ${device.id} was revoked by an administrator; it can no longer sync`);
  }
}

/** Who made an office request: the user, and their console session when it came by cookie. */
export interface OfficeCaller {
  user: OfficeUser;
  session: { row: ConsoleSessionRow; secret: string } | null;
}

/**
 * The one door of every office endpoint. A request is the office user's whose API token it
 * carries as bearer (automation: no cookie, no CSRF), or whose console session cookie it carries;
 * then a state-changing request must also come from the office's own origin with the session's
 * CSRF token. The user's role must be one `capability` allows (protocol/office-access.ts).
 * Refusals are 401 (who is this?), 403 `csrf-refused` and 403 `forbidden`, in that order, and
 * change nothing.
 */
export async function authenticateOffice(context: ServiceContext, request: FastifyRequest, capability: OfficeCapability): Promise<OfficeCaller> {
  const { caller, touch } = await identifyOfficeCaller(context, request);
  const roles: readonly OfficeRole[] = OFFICE_ACCESS[capability];
  if (!roles.includes(caller.user.role)) {
    throw new ApiFailure(403, 'forbidden', `this needs the ${roles.join(' or ')} role; ${caller.user.name} is ${caller.user.role}`);
  }
  if (touch && caller.session) await touchConsoleSession(context.database.db, caller.session.row.id, context.clock.now());
  return caller;
}

/** The office user a request comes from, if their role is one `capability` allows: see `authenticateOffice`. */
export async function authenticateOfficeUser(context: ServiceContext, request: FastifyRequest, capability: OfficeCapability): Promise<OfficeUser> {
  return (await authenticateOffice(context, request, capability)).user;
}

async function identifyOfficeCaller(context: ServiceContext, request: FastifyRequest): Promise<{ caller: OfficeCaller; touch: boolean }> {
  const { db } = context.database;
  if (request.headers.authorization !== undefined) {
    const token = bearerToken(request);
    if (!token) throw new ApiFailure(401, 'unauthorized', 'send an office API token as "Authorization: Bearer <token>"');
    const user = await findOfficeUserByToken(db, hashSecret(token));
    if (!user || user.revokedAt !== null) throw new ApiFailure(401, 'unauthorized', 'unknown or revoked office API token');
    return { caller: { user, session: null }, touch: false };
  }
  const secret = sessionSecretOf(request, context.consoleSettings);
  if (!secret) throw new ApiFailure(401, 'unauthorized', 'sign in to the console, or send an office API token as "Authorization: Bearer <token>"');
  const found = await findConsoleSession(db, hashSecret(secret));
  if (!found || found.user.revokedAt !== null) throw new ApiFailure(401, 'unauthorized', 'this console session is not one the office knows; sign in again');
  const standing = sessionStanding(found.session, context.clock.now(), context.consoleSettings);
  if (!standing.open) throw new ApiFailure(401, 'unauthorized', `this console session has ended (${standing.why}); sign in again`);
  const stateChanging = !isSafeMethod(request.method);
  assertSameOrigin(request, context.consoleSettings, stateChanging);
  if (stateChanging) assertCsrfToken(request, secret);
  return { caller: { user: found.user, session: { row: found.session, secret } }, touch: standing.touch };
}

/** Office users belong to one organisation; only the bootstrap admin (no organisation) spans all. */
export function assertOrganisationAccess(user: OfficeUser, organisationId: string): void {
  if (user.organisationId !== null && user.organisationId !== organisationId) {
    throw new ApiFailure(403, 'forbidden', `${user.name} cannot act on organisation ${organisationId}`);
  }
}
