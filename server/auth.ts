import type { FastifyRequest } from 'fastify';
import type { Randomness } from '../protocol/runtime.js';
import { sha256Hex } from '../protocol/crypto/hash.js';
import type { OfficeDb } from './db/connect.js';
import { type Device, type OfficeRole, type OfficeUser, findDeviceByCredential, findOfficeUserByToken } from './db/queries/identity.js';
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

/** The office user the request's API token belongs to, if their role is one of `roles`. */
export async function authenticateOfficeUser(db: OfficeDb, request: FastifyRequest, roles: readonly OfficeRole[]): Promise<OfficeUser> {
  const token = bearerToken(request);
  if (!token) throw new ApiFailure(401, 'unauthorized', 'send an office API token as "Authorization: Bearer <token>"');
  const user = await findOfficeUserByToken(db, hashSecret(token));
  if (!user || user.revokedAt !== null) throw new ApiFailure(401, 'unauthorized', 'unknown or revoked office API token');
  if (!roles.includes(user.role)) {
    throw new ApiFailure(403, 'forbidden', `this needs the ${roles.join(' or ')} role; ${user.name} is ${user.role}`);
  }
  return user;
}

/** Office users belong to one organisation; only the bootstrap admin (no organisation) spans all. */
export function assertOrganisationAccess(user: OfficeUser, organisationId: string): void {
  if (user.organisationId !== null && user.organisationId !== organisationId) {
    throw new ApiFailure(403, 'forbidden', `${user.name} cannot act on organisation ${organisationId}`);
  }
}
