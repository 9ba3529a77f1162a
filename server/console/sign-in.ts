import { describeWait } from '../../protocol/pause.js';
import { randomId } from '../../protocol/runtime.js';
import type { ConsoleSignIn, ConsoleUser } from '../../protocol/wire.js';
import { hashSecret } from '../auth.js';
import type { ServiceContext } from '../context.js';
import {
  type ConsoleSessionRow,
  deleteThrottles,
  findOfficeUserByEmail,
  findOfficeUserByName,
  forgetThrottles,
  insertConsoleSession,
  insertSignInAttempt,
  lockThrottles,
  setPasswordHash,
  writeThrottle,
} from '../db/queries/console.js';
import type { OfficeUser } from '../db/queries/identity.js';
import { ApiFailure } from '../errors.js';
import { type ThrottlePolicy, forgiveAttempt, reserveAttempt } from './throttle.js';

/**
 * Console sign-in. Whether the account exists, has a console password, or was revoked, the answer
 * and the work are the same as for a wrong password: the same scrypt check (against a decoy), the
 * same writes, the same message; its failures are counted under the name typed, as an account's
 * are under the account, so a pause says nothing either. Failures are also counted per source
 * address, across accounts.
 */
export interface SignedIn {
  user: OfficeUser;
  session: ConsoleSessionRow;
  /** The cookie's value: shown to the browser once, kept only as its hash. */
  secret: string;
}

const WRONG = 'wrong email, name or password';
/** What is kept of what was typed: enough to recognise, bounded whatever was sent. */
const MAX_LOGIN_KEPT = 320;

export async function signIn(context: ServiceContext, input: ConsoleSignIn, from: { address: string; userAgent: string | null }): Promise<SignedIn> {
  const { db } = context.database;
  const { accountThrottle, addressThrottle } = context.consoleSettings;
  const login = (input.email ?? input.name)!.trim().toLowerCase().slice(0, MAX_LOGIN_KEPT);
  const found = input.email !== undefined ? await findOfficeUserByEmail(db, login) : await findOfficeUserByName(db, login);
  const accountKey = found ? accountThrottleKey(found.id) : `name:${login}`;
  const addressKey = `address:${from.address}`;
  const policies = new Map<string, ThrottlePolicy>([
    [accountKey, accountThrottle],
    [addressKey, addressThrottle],
  ]);

  const now = context.clock.now();
  const reserved = await db.transaction(async (tx) => {
    const { rows, fresh } = await lockThrottles(tx, [...policies.keys()], now);
    const reservation = reserveAttempt(
      rows.map((row) => ({ key: row.key, row, policy: policies.get(row.key)! })),
      now,
    );
    if (reservation.kind === 'paused') {
      await deleteThrottles(tx, fresh);
      return reservation;
    }
    for (const { row } of reservation.rows) await writeThrottle(tx, row);
    await forgetThrottles(tx, now - Math.max(accountThrottle.forgetAfterMs, addressThrottle.forgetAfterMs), now);
    return reservation;
  });
  if (reserved.kind === 'paused') {
    const what = reserved.key === addressKey ? 'from this address' : 'with this email or name';
    throw new ApiFailure(429, 'sign-in-paused', `too many failed sign-ins ${what}: try again in ${describeWait(reserved.retryInMs)}`, { retryInMs: reserved.retryInMs }, Math.ceil(reserved.retryInMs / 1000));
  }
  const account = reserved.rows.find(({ row }) => row.key === accountKey)!;
  const user = found && found.revokedAt === null ? found : null;
  const matches = await context.passwordHasher.verify(input.password, user?.passwordHash ?? null);
  const attempt = { at: now, login, userId: found?.id ?? null, address: from.address };

  if (!matches || !user) {
    await insertSignInAttempt(db, { ...attempt, outcome: 'refused', failedAttempts: account.row.failedAttempts, pausedForMs: account.pausedForMs });
    if (account.pausedForMs === 0) throw new ApiFailure(401, 'unauthorized', WRONG);
    throw new ApiFailure(401, 'unauthorized', `${WRONG}; sign-in with it is paused for ${describeWait(account.pausedForMs)}`, { retryInMs: account.pausedForMs });
  }

  const secret = `wps_${Buffer.from(context.random.bytes(32)).toString('base64url')}`;
  const { sessionTtlMs } = context.consoleSettings;
  const session: ConsoleSessionRow = {
    id: randomId(context.random, 'cs'),
    secretHash: hashSecret(secret),
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + sessionTtlMs,
    revokedAt: null,
    revokedReason: null,
    address: from.address,
    userAgent: from.userAgent?.slice(0, 200) ?? null,
  };
  const rehashed = context.passwordHasher.isOutdated(user.passwordHash!) ? await context.passwordHasher.hash(input.password) : null;
  await db.transaction(async (tx) => {
    const { rows } = await lockThrottles(tx, [addressKey], now);
    const forgiven = forgiveAttempt(rows[0]!, addressThrottle);
    // The account's count starts again, as after a right PIN on a device; the address only takes back this attempt.
    await deleteThrottles(tx, forgiven ? [accountKey] : [accountKey, addressKey]);
    if (forgiven) await writeThrottle(tx, forgiven);
    if (rehashed) await setPasswordHash(tx, user.id, rehashed);
    await insertConsoleSession(tx, session);
    await insertSignInAttempt(tx, { ...attempt, outcome: 'signed-in', failedAttempts: 0, pausedForMs: 0 });
  });
  return { user, session, secret };
}

/** The key an account's failed sign-ins are counted under; an admin setting its password clears it. */
export function accountThrottleKey(userId: string): string {
  return `account:${userId}`;
}

export function consoleUserOf(user: OfficeUser): ConsoleUser {
  return { id: user.id, name: user.name, email: user.email, role: user.role, organisationId: user.organisationId };
}
