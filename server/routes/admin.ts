import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { randomId } from '../../protocol/runtime.js';
import { identifier } from '../../protocol/journal.js';
import { makePinVerifier, MIN_PIN_LENGTH } from '../../protocol/pin.js';
import {
  createEnrollmentTokenSchema,
  createOfficeUserSchema,
  createOperatorSchema,
  createOrganisationSchema,
  createSiteSchema,
  listSignInAttemptsQuerySchema,
  requiredAppVersionSchema,
  setPasswordSchema,
  updateOperatorSchema,
  updateSiteSchema,
  type DeviceList,
  type DeviceSummary,
} from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { parseWith } from '../requests.js';
import { assertOrganisationAccess, authenticateOfficeUser, hashSecret, newSecret } from '../auth.js';
import type { OfficeDb } from '../db/connect.js';
import { isUniqueViolation } from '../db/errors.js';
import { appendChanges } from '../db/queries/changes.js';
import {
  deleteThrottles,
  findOfficeUser,
  findOfficeUserByEmail,
  listSignInAttempts,
  revokeConsoleSessions,
  setPasswordHash,
} from '../db/queries/console.js';
import { accountThrottleKey } from '../console/sign-in.js';
import { listDeviceFlags } from '../db/queries/flags.js';
import {
  type Device,
  type OfficeUser,
  type Operator,
  type Site,
  findDevice,
  findOperator,
  findOrganisation,
  findSite,
  insertEnrollmentToken,
  insertOfficeUser,
  insertOrganisation,
  insertSite,
  listDevices,
  revokeDevice,
  setRequiredAppVersion,
  updateSite,
  upsertOperator,
} from '../db/queries/identity.js';
import { ApiFailure, conflict, notFound } from '../errors.js';
import { notifyRevoked, notifySites } from '../sync/notifier.js';
import { deviceAttention } from '../fleet/attention.js';

const DEFAULT_ENROLLMENT_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_ATTEMPTS_PAGE = 100;
const idParams = z.strictObject({ id: identifier });

/**
 * Administration: the organisation tree, operators (PIN verifiers made here, synced to their
 * site's devices), office users and their console passwords and sign-ins, enrollment tokens and
 * device revocation.
 */
export function registerAdminRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { db } = context.database;
  const admin = (request: FastifyRequest) => authenticateOfficeUser(context, request, 'administer');

  app.post('/v1/admin/organisations', async (request, reply) => {
    const user = await admin(request);
    if (user.organisationId !== null) throw new ApiFailure(403, 'forbidden', 'only the bootstrap administrator creates organisations');
    const input = parseWith(createOrganisationSchema, request.body);
    const organisation = { id: input.id ?? randomId(context.random, 'org'), name: input.name, createdAt: context.clock.now() };
    await uniquely(() => insertOrganisation(db, organisation), `organisation ${organisation.id} already exists`);
    return reply.status(201).send(organisation);
  });

  app.post('/v1/admin/sites', async (request, reply) => {
    const user = await admin(request);
    const input = parseWith(createSiteSchema, request.body);
    if (!(await findOrganisation(db, input.organisationId))) throw notFound(`organisation ${input.organisationId}`);
    assertOrganisationAccess(user, input.organisationId);
    const site: Site = {
      id: input.id ?? randomId(context.random, 'site'),
      organisationId: input.organisationId,
      name: input.name,
      createdAt: context.clock.now(),
      pinMinLength: input.pinMinLength ?? MIN_PIN_LENGTH,
    };
    await uniquely(() => insertSite(db, site), `site ${site.id} already exists`);
    return reply.status(201).send(site);
  });

  app.patch('/v1/admin/sites/:id', async (request) => {
    const user = await admin(request);
    const { id } = parseWith(idParams, request.params, 'path');
    const input = parseWith(updateSiteSchema, request.body);
    await siteInReach(db, user, id);
    const at = context.clock.now();
    return db.transaction(async (tx) => {
      const site = (await updateSite(tx, id, input))!;
      // The site's devices take the policy with their next pull; this makes that now.
      await notifySites(tx, context.notifier.channel, [id], at);
      return site;
    });
  });

  app.post('/v1/admin/operators', async (request, reply) => {
    const user = await admin(request);
    const input = parseWith(createOperatorSchema, request.body);
    const site = await siteInReach(db, user, input.siteId);
    const id = input.id ?? randomId(context.random, 'op');
    if (await findOperator(db, id)) throw conflict(`operator ${id} already exists`);
    const operator: Operator = {
      id,
      siteId: input.siteId,
      badgeId: input.badgeId,
      displayName: input.displayName,
      role: input.role,
      pinVerifier: pinVerifierAt(site, input.pin, context),
      active: true,
      updatedAt: context.clock.now(),
    };
    await uniquely(() => saveOperator(context, operator), `badge ${input.badgeId} is already used at site ${input.siteId}`);
    return reply.status(201).send(publicOperator(operator));
  });

  app.patch('/v1/admin/operators/:id', async (request) => {
    const user = await admin(request);
    const { id } = parseWith(idParams, request.params, 'path');
    const input = parseWith(updateOperatorSchema, request.body);
    const existing = await findOperator(db, id);
    if (!existing) throw notFound(`operator ${id}`);
    const site = await siteInReach(db, user, existing.siteId);
    const operator: Operator = {
      ...existing,
      displayName: input.displayName ?? existing.displayName,
      active: input.active ?? existing.active,
      pinVerifier: input.pin ? pinVerifierAt(site, input.pin, context) : existing.pinVerifier,
      updatedAt: context.clock.now(),
    };
    await saveOperator(context, operator);
    return publicOperator(operator);
  });

  app.post('/v1/admin/users', async (request, reply) => {
    const user = await admin(request);
    const input = parseWith(createOfficeUserSchema, request.body);
    if (!(await findOrganisation(db, input.organisationId))) throw notFound(`organisation ${input.organisationId}`);
    assertOrganisationAccess(user, input.organisationId);
    const email = input.email ?? null;
    if (email !== null && (await findOfficeUserByEmail(db, email))) throw conflict(`${email} is already an office user's email`);
    const token = newSecret(context.random, 'office');
    const created: OfficeUser = {
      id: input.id ?? randomId(context.random, 'user'),
      organisationId: input.organisationId,
      name: input.name,
      role: input.role,
      tokenHash: hashSecret(token),
      createdAt: context.clock.now(),
      revokedAt: null,
      email,
      passwordHash: input.password === undefined ? null : await context.passwordHasher.hash(input.password),
    };
    await uniquely(() => insertOfficeUser(db, created), `user ${created.id} already exists, or ${email} is already an office user's email`);
    return reply.status(201).send({ id: created.id, organisationId: input.organisationId, name: created.name, role: created.role, email, token });
  });

  app.post('/v1/admin/users/:id/password', async (request) => {
    const user = await admin(request);
    const { id } = parseWith(idParams, request.params, 'path');
    const { password } = parseWith(setPasswordSchema, request.body);
    const target = await findOfficeUser(db, id);
    if (!target) throw notFound(`user ${id}`);
    userInReach(user, target);
    const passwordHash = await context.passwordHasher.hash(password);
    const at = context.clock.now();
    const endedSessions = await db.transaction(async (tx) => {
      await setPasswordHash(tx, id, passwordHash);
      // A password reset is the answer to a lost or stolen password: whoever held a session with the old one is out, and the pause is lifted.
      await deleteThrottles(tx, [accountThrottleKey(id)]);
      return revokeConsoleSessions(tx, { userId: id }, at, 'password-reset');
    });
    request.log.warn({ userId: id, by: user.id, endedSessions }, 'console password set by an administrator');
    return { id, endedSessions };
  });

  app.get('/v1/admin/console/sign-in-attempts', async (request) => {
    const user = await admin(request);
    const query = parseWith(listSignInAttemptsQuerySchema, request.query, 'query');
    const attempts = await listSignInAttempts(db, { userId: query.userId, organisationId: user.organisationId, limit: query.limit ?? DEFAULT_ATTEMPTS_PAGE });
    return { attempts };
  });

  app.post('/v1/admin/enrollment-tokens', async (request, reply) => {
    const user = await admin(request);
    const input = parseWith(createEnrollmentTokenSchema, request.body);
    await siteInReach(db, user, input.siteId);
    const token = newSecret(context.random, 'enrollment');
    const now = context.clock.now();
    const expiresAt = now + (input.ttlMs ?? DEFAULT_ENROLLMENT_TTL_MS);
    await insertEnrollmentToken(db, {
      tokenHash: hashSecret(token),
      siteId: input.siteId,
      kind: input.kind,
      createdBy: user.id,
      createdAt: now,
      expiresAt,
      usedAt: null,
      usedByDevice: null,
    });
    return reply.status(201).send({ token, siteId: input.siteId, kind: input.kind, expiresAt });
  });

  app.get('/v1/admin/devices', async (request): Promise<DeviceList> => {
    const user = await admin(request);
    const { siteId } = parseWith(z.strictObject({ siteId: identifier.optional() }), request.query, 'query');
    if (siteId) await siteInReach(db, user, siteId);
    const found = await listDevices(db, { siteId, organisationId: user.organisationId });
    const now = context.clock.now();
    return { at: now, devices: found.map((device) => summary(device, now)) };
  });

  app.post('/v1/admin/devices/:id/revoke', async (request) => {
    const user = await admin(request);
    const { id } = parseWith(idParams, request.params, 'path');
    const device = await deviceInReach(db, user, id);
    const at = context.clock.now();
    const revoked = await db.transaction(async (tx) => {
      if (!(await revokeDevice(tx, id, at))) return false;
      // In the revoking transaction: every instance hears it exactly when the revocation commits.
      await notifyRevoked(tx, context.notifier.channel, id, at);
      return true;
    });
    if (!revoked) return summary(device, context.clock.now());
    request.log.warn({ deviceId: id, by: user.id }, 'device revoked');
    return summary((await findDevice(db, id))!, context.clock.now());
  });

  app.put('/v1/admin/devices/:id/required-app-version', async (request) => {
    const user = await admin(request);
    const { id } = parseWith(idParams, request.params, 'path');
    const { version } = parseWith(requiredAppVersionSchema, request.body);
    await deviceInReach(db, user, id);
    await setRequiredAppVersion(db, id, version);
    request.log.info({ deviceId: id, version, by: user.id }, version ? 'app update required of device' : 'app update requirement of device lifted');
    return summary((await findDevice(db, id))!, context.clock.now());
  });

  app.get('/v1/admin/devices/:id/flags', async (request) => {
    const user = await admin(request);
    const { id } = parseWith(idParams, request.params, 'path');
    await deviceInReach(db, user, id);
    return { flags: await listDeviceFlags(db, id) };
  });
}

/** Saves an operator and puts it on the site's change feed in one transaction. */
async function saveOperator(context: ServiceContext, operator: Operator): Promise<void> {
  await context.database.db.transaction(async (tx) => {
    await upsertOperator(tx, operator);
    await appendChanges(tx, [{ kind: 'operator', siteId: operator.siteId, operatorId: operator.id }]);
    await notifySites(tx, context.notifier.channel, [operator.siteId], operator.updatedAt);
  });
}

async function siteInReach(db: OfficeDb, user: OfficeUser, siteId: string): Promise<Site> {
  const site = await findSite(db, siteId);
  if (!site) throw notFound(`site ${siteId}`);
  assertOrganisationAccess(user, site.organisationId);
  return site;
}

/** The verifier of a new PIN, which must be as long as the site's policy asks (the schema has already held it to 4–12 digits). */
function pinVerifierAt(site: Site, pin: string, context: ServiceContext): string {
  if (pin.length < site.pinMinLength) {
    throw new ApiFailure(400, 'invalid-request', `a PIN at site ${site.name} must have at least ${site.pinMinLength} digits; this one has ${pin.length}`, {
      field: 'pin',
      pinMinLength: site.pinMinLength,
    });
  }
  return makePinVerifier(pin, context.random.bytes(16));
}

/** Another office user an admin may act on: one of their organisation; the bootstrap administrator only by themself. */
function userInReach(user: OfficeUser, target: OfficeUser): void {
  if (target.organisationId !== null) assertOrganisationAccess(user, target.organisationId);
  else if (user.organisationId !== null) throw new ApiFailure(403, 'forbidden', `${user.name} cannot act on the bootstrap administrator`);
}

export async function deviceInReach(db: OfficeDb, user: OfficeUser, deviceId: string): Promise<Device> {
  const device = await findDevice(db, deviceId);
  if (!device) throw notFound(`device ${deviceId}`);
  await siteInReach(db, user, device.siteId);
  return device;
}

async function uniquely(write: () => Promise<void>, message: string): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(message);
    throw error;
  }
}

function publicOperator(operator: Operator) {
  const { pinVerifier: _verifier, ...visible } = operator;
  return visible;
}

function summary(device: Device, now: number): DeviceSummary {
  const { id, siteId, kind, label, enrolledAt, revokedAt, flagged, chainSeq, lastSeenAt, clockOffsetMs, schemaVersion, requiredAppVersion } = device;
  const health =
    device.healthReportedAt === null
      ? null
      : {
          reportedAt: device.healthReportedAt,
          appVersion: device.appVersion,
          pending: device.pendingEntries ?? 0,
          failed: device.failedEntries ?? 0,
          oldestPendingAgeMs: device.oldestPendingAgeMs,
          lastPushMs: device.lastPushMs,
          lastConvergedMs: device.lastConvergedMs,
        };
  const session = device.chainSession;
  const operator = session && { operatorId: session.certificate.certificate.operatorId, since: session.certificate.certificate.startedAt, signedIn: !session.closed };
  return { id, siteId, kind, label, enrolledAt, revokedAt, flagged, chainSeq, lastSeenAt, health, clockOffsetMs, schemaVersion, requiredAppVersion, operator, attention: deviceAttention(device, now) };
}
