import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import type { DeviceHealth } from '../../../protocol/wire.js';
import { devices, enrollmentTokens, officeUsers, operators, organisations, sites } from '../schema.js';

/** Organisations, sites, devices, operators, office users and enrollment tokens. */

export type Organisation = typeof organisations.$inferSelect;
export type Site = typeof sites.$inferSelect;
export type Device = typeof devices.$inferSelect;
export type Operator = typeof operators.$inferSelect;
export type OfficeUser = typeof officeUsers.$inferSelect;
export type EnrollmentToken = typeof enrollmentTokens.$inferSelect;
export type OfficeRole = OfficeUser['role'];

export async function insertOrganisation(db: OfficeDb, organisation: Organisation): Promise<void> {
  await db.insert(organisations).values(organisation);
}

export async function findOrganisation(db: OfficeDb, id: string): Promise<Organisation | null> {
  const [row] = await db.select().from(organisations).where(eq(organisations.id, id));
  return row ?? null;
}

export async function insertSite(db: OfficeDb, site: Site): Promise<void> {
  await db.insert(sites).values(site);
}

export async function findSite(db: OfficeDb, id: string): Promise<Site | null> {
  const [row] = await db.select().from(sites).where(eq(sites.id, id));
  return row ?? null;
}

export async function updateSite(db: OfficeDb, id: string, changes: Partial<Pick<Site, 'name' | 'pinMinLength'>>): Promise<Site | null> {
  const [row] = await db.update(sites).set(changes).where(eq(sites.id, id)).returning();
  return row ?? null;
}

export async function findDevice(db: OfficeDb, id: string): Promise<Device | null> {
  const [row] = await db.select().from(devices).where(eq(devices.id, id));
  return row ?? null;
}

export async function findDeviceByCredential(db: OfficeDb, credentialHash: string): Promise<Device | null> {
  const [row] = await db.select().from(devices).where(eq(devices.credentialHash, credentialHash));
  return row ?? null;
}

/** Locks the device row for the rest of the transaction: one push per device at a time. */
export async function lockDevice(db: OfficeDb, id: string): Promise<Device | null> {
  const [row] = await db.select().from(devices).where(eq(devices.id, id)).for('update');
  return row ?? null;
}

export async function insertDevice(db: OfficeDb, device: typeof devices.$inferInsert): Promise<void> {
  await db.insert(devices).values(device);
}

export async function listDevices(db: OfficeDb, filter: { siteId?: string; organisationId?: string | null }): Promise<Device[]> {
  const conditions = [];
  if (filter.siteId) conditions.push(eq(devices.siteId, filter.siteId));
  if (filter.organisationId) conditions.push(eq(sites.organisationId, filter.organisationId));
  const rows = await db
    .select({ device: devices })
    .from(devices)
    .innerJoin(sites, eq(sites.id, devices.siteId))
    .where(and(...conditions))
    .orderBy(devices.id);
  return rows.map((row) => row.device);
}

export async function revokeDevice(db: OfficeDb, id: string, at: number): Promise<boolean> {
  const rows = await db
    .update(devices)
    .set({ revokedAt: at })
    .where(and(eq(devices.id, id), isNull(devices.revokedAt)))
    .returning({ id: devices.id });
  return rows.length > 0;
}

export async function setRequiredAppVersion(db: OfficeDb, id: string, version: string | null): Promise<void> {
  await db.update(devices).set({ requiredAppVersion: version }).where(eq(devices.id, id));
}

/** The device was heard from at `at`, telling what it holds to send when it says so. */
export async function touchDevice(db: OfficeDb, id: string, at: number, schemaVersion: number, health?: DeviceHealth): Promise<void> {
  const reported = health && {
    healthReportedAt: at,
    appVersion: health.appVersion ?? null,
    pendingEntries: health.pending,
    failedEntries: health.failed,
    oldestPendingAgeMs: health.oldestPendingAgeMs,
    // What it measured stays until it measures again (a pull before its first push tells no push time).
    ...(health.pushMs === undefined ? {} : { lastPushMs: health.pushMs }),
    ...(health.convergedMs === undefined ? {} : { lastConvergedMs: health.convergedMs }),
  };
  await db
    .update(devices)
    .set({ lastSeenAt: at, schemaVersion, ...reported })
    .where(eq(devices.id, id));
}

export async function insertEnrollmentToken(db: OfficeDb, token: EnrollmentToken): Promise<void> {
  await db.insert(enrollmentTokens).values(token);
}

export async function lockEnrollmentToken(db: OfficeDb, tokenHash: string): Promise<EnrollmentToken | null> {
  const [row] = await db.select().from(enrollmentTokens).where(eq(enrollmentTokens.tokenHash, tokenHash)).for('update');
  return row ?? null;
}

export async function markEnrollmentTokenUsed(db: OfficeDb, tokenHash: string, deviceId: string, at: number): Promise<void> {
  await db.update(enrollmentTokens).set({ usedAt: at, usedByDevice: deviceId }).where(eq(enrollmentTokens.tokenHash, tokenHash));
}

export async function upsertOperator(db: OfficeDb, operator: Operator): Promise<void> {
  const { id: _id, ...changes } = operator;
  await db.insert(operators).values(operator).onConflictDoUpdate({ target: operators.id, set: changes });
}

export async function findOperator(db: OfficeDb, id: string): Promise<Operator | null> {
  const [row] = await db.select().from(operators).where(eq(operators.id, id));
  return row ?? null;
}

export async function findOperatorsByIds(db: OfficeDb, ids: readonly string[]): Promise<Operator[]> {
  if (ids.length === 0) return [];
  return db.select().from(operators).where(inArray(operators.id, [...ids]));
}

export async function listSiteOperatorIds(db: OfficeDb, siteId: string): Promise<Set<string>> {
  const rows = await db.select({ id: operators.id }).from(operators).where(eq(operators.siteId, siteId));
  return new Set(rows.map((row) => row.id));
}

export async function insertOfficeUser(db: OfficeDb, user: OfficeUser): Promise<void> {
  await db.insert(officeUsers).values(user);
}

export async function findOfficeUserByToken(db: OfficeDb, tokenHash: string): Promise<OfficeUser | null> {
  const [row] = await db.select().from(officeUsers).where(eq(officeUsers.tokenHash, tokenHash));
  return row ?? null;
}

export async function hasActiveAdmin(db: OfficeDb): Promise<boolean> {
  const rows = await db
    .select({ id: officeUsers.id })
    .from(officeUsers)
    .where(and(eq(officeUsers.role, 'admin'), isNull(officeUsers.revokedAt)))
    .limit(1);
  return rows.length > 0;
}

/** The bootstrap admin row holds whichever token the environment currently names. */
export async function upsertBootstrapAdmin(db: OfficeDb, tokenHash: string, at: number): Promise<void> {
  await db
    .insert(officeUsers)
    .values({ id: BOOTSTRAP_ADMIN_ID, organisationId: null, name: 'Bootstrap admin', role: 'admin', tokenHash, createdAt: at, revokedAt: null })
    .onConflictDoUpdate({ target: officeUsers.id, set: { tokenHash, revokedAt: null } });
}

export const BOOTSTRAP_ADMIN_ID = 'user-bootstrap-admin';
