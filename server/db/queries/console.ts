import { and, desc, eq, gt, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { consoleSessions, consoleSignInAttempts, consoleSignInThrottles, officeUsers, organisations } from '../schema.js';
import type { OfficeUser } from './identity.js';

/** Console sessions, sign-in throttles and the sign-in journal. */

export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;
export type ThrottleRecord = typeof consoleSignInThrottles.$inferSelect;
export type SignInAttempt = typeof consoleSignInAttempts.$inferSelect;
export type SessionEnd = NonNullable<ConsoleSessionRow['revokedReason']>;

export async function findOfficeUserByEmail(db: OfficeDb, email: string): Promise<OfficeUser | null> {
  const [row] = await db.select().from(officeUsers).where(eq(officeUsers.email, email));
  return row ?? null;
}

/** The one user with a console password whose name is `name` (any case); none when two share it. */
export async function findOfficeUserByName(db: OfficeDb, name: string): Promise<OfficeUser | null> {
  const rows = await db
    .select()
    .from(officeUsers)
    .where(and(sql`lower(${officeUsers.name}) = ${name}`, isNotNull(officeUsers.passwordHash)))
    .limit(2);
  return rows.length === 1 ? rows[0]! : null;
}

export async function findOfficeUser(db: OfficeDb, id: string): Promise<OfficeUser | null> {
  const [row] = await db.select().from(officeUsers).where(eq(officeUsers.id, id));
  return row ?? null;
}

export async function setPasswordHash(db: OfficeDb, userId: string, passwordHash: string): Promise<void> {
  await db.update(officeUsers).set({ passwordHash }).where(eq(officeUsers.id, userId));
}

export async function insertConsoleSession(db: OfficeDb, session: ConsoleSessionRow): Promise<void> {
  await db.insert(consoleSessions).values(session);
}

export async function findConsoleSession(db: OfficeDb, secretHash: string): Promise<{ session: ConsoleSessionRow; user: OfficeUser } | null> {
  const [row] = await db
    .select({ session: consoleSessions, user: officeUsers })
    .from(consoleSessions)
    .innerJoin(officeUsers, eq(officeUsers.id, consoleSessions.userId))
    .where(eq(consoleSessions.secretHash, secretHash));
  return row ?? null;
}

export async function touchConsoleSession(db: OfficeDb, id: string, at: number): Promise<void> {
  await db.update(consoleSessions).set({ lastSeenAt: at }).where(and(eq(consoleSessions.id, id), lt(consoleSessions.lastSeenAt, at)));
}

/** Ends the open sessions among those named (one session, or all of a user's); returns how many it ended. */
export async function revokeConsoleSessions(db: OfficeDb, which: { sessionId: string } | { userId: string }, at: number, reason: SessionEnd): Promise<number> {
  const target = 'sessionId' in which ? eq(consoleSessions.id, which.sessionId) : eq(consoleSessions.userId, which.userId);
  const rows = await db
    .update(consoleSessions)
    .set({ revokedAt: at, revokedReason: reason })
    .where(and(target, isNull(consoleSessions.revokedAt), gt(consoleSessions.expiresAt, at)))
    .returning({ id: consoleSessions.id });
  return rows.length;
}

/**
 * The throttle rows of `keys`, locked for the rest of the transaction; rows for keys without one
 * are made first (with no failures), and their keys returned as `fresh`.
 */
export async function lockThrottles(db: OfficeDb, keys: readonly string[], now: number): Promise<{ rows: ThrottleRecord[]; fresh: string[] }> {
  const sorted = [...keys].sort();
  // In key order: two sign-ins locking the same keys never wait on each other in a cycle.
  const inserted = await db
    .insert(consoleSignInThrottles)
    .values(sorted.map((key) => ({ key, failedAttempts: 0, lastFailedAt: now, pausedUntil: null })))
    .onConflictDoNothing()
    .returning({ key: consoleSignInThrottles.key });
  const rows = await db.select().from(consoleSignInThrottles).where(inArray(consoleSignInThrottles.key, sorted)).orderBy(consoleSignInThrottles.key).for('update');
  return { rows, fresh: inserted.map((row) => row.key) };
}

export async function writeThrottle(db: OfficeDb, row: ThrottleRecord): Promise<void> {
  const { key, ...values } = row;
  await db.update(consoleSignInThrottles).set(values).where(eq(consoleSignInThrottles.key, key));
}

export async function deleteThrottles(db: OfficeDb, keys: readonly string[]): Promise<void> {
  if (keys.length > 0) await db.delete(consoleSignInThrottles).where(inArray(consoleSignInThrottles.key, [...keys]));
}

/** Drops the rows of keys quiet since `before` and not paused at `now`: names typed once would otherwise stay for good. */
export async function forgetThrottles(db: OfficeDb, before: number, now: number): Promise<void> {
  await db
    .delete(consoleSignInThrottles)
    .where(and(lt(consoleSignInThrottles.lastFailedAt, before), or(isNull(consoleSignInThrottles.pausedUntil), lte(consoleSignInThrottles.pausedUntil, now))));
}

export async function insertSignInAttempt(db: OfficeDb, attempt: Omit<SignInAttempt, 'id'>): Promise<void> {
  await db.insert(consoleSignInAttempts).values(attempt);
}

/** The newest attempts first: of one user, of an organisation's users, or all (the bootstrap admin, also names nobody has). */
export async function listSignInAttempts(db: OfficeDb, filter: { userId?: string; organisationId: string | null; limit: number }): Promise<SignInAttempt[]> {
  const conditions = [];
  if (filter.userId) conditions.push(eq(consoleSignInAttempts.userId, filter.userId));
  if (filter.organisationId !== null) conditions.push(eq(organisations.id, filter.organisationId));
  const rows = await db
    .select({ attempt: consoleSignInAttempts })
    .from(consoleSignInAttempts)
    .leftJoin(officeUsers, eq(officeUsers.id, consoleSignInAttempts.userId))
    .leftJoin(organisations, eq(organisations.id, officeUsers.organisationId))
    .where(and(...conditions))
    .orderBy(desc(consoleSignInAttempts.id))
    .limit(filter.limit);
  return rows.map((row) => row.attempt);
}
