import { type PausePolicy, pauseAfterFailures, pauseLeft } from '../../protocol/pause.js';

/**
 * Console sign-in throttling, as pure rules over throttle rows (one per key: an account, a name
 * nobody has, a source address). An attempt is counted as a failure before its password is checked
 * and forgiven if it was right, so a burst of guesses sent at once is held to the same count as
 * guesses sent one by one: the pause a failure earns is in force before the next guess is checked.
 */
export interface ThrottlePolicy extends PausePolicy {
  /** A key's failures are forgotten after this long without another (and once any pause is over). */
  forgetAfterMs: number;
}

export interface ThrottleRow {
  key: string;
  failedAttempts: number;
  lastFailedAt: number;
  pausedUntil: number | null;
}

export interface ThrottleState {
  row: ThrottleRow | null;
  policy: ThrottlePolicy;
}

export type Reservation =
  /** A key is paused: the attempt is refused unchecked and nothing changes. */
  | { kind: 'paused'; key: string; retryInMs: number }
  /** The attempt may be checked; `rows` are what to write, counting it as a failure. */
  | { kind: 'reserved'; rows: { row: ThrottleRow; pausedForMs: number }[] };

/** Failures in a row a key still holds at `now`. */
export function standingFailures(row: ThrottleRow | null, now: number, policy: ThrottlePolicy): number {
  if (!row) return 0;
  const quiet = now - row.lastFailedAt >= policy.forgetAfterMs && pauseLeft(row.pausedUntil, now, policy) === 0;
  return quiet ? 0 : row.failedAttempts;
}

/** The attempt under every key: refused if any key is paused, else counted as a failure under each. */
export function reserveAttempt(keys: readonly (ThrottleState & { key: string })[], now: number): Reservation {
  let longest: { key: string; retryInMs: number } | null = null;
  for (const { key, row, policy } of keys) {
    const left = row ? pauseLeft(row.pausedUntil, now, policy) : 0;
    if (left > (longest?.retryInMs ?? 0)) longest = { key, retryInMs: left };
  }
  if (longest) return { kind: 'paused', ...longest };
  return {
    kind: 'reserved',
    rows: keys.map(({ key, row, policy }) => {
      const failedAttempts = standingFailures(row, now, policy) + 1;
      const pausedForMs = pauseAfterFailures(failedAttempts, policy);
      return { row: { key, failedAttempts, lastFailedAt: now, pausedUntil: pausedForMs > 0 ? now + pausedForMs : null }, pausedForMs };
    }),
  };
}

/**
 * A key's row once the reserved attempt turned out right: the failure it was counted as is taken
 * back, and the pause it alone started lifted. Null: nothing left to keep.
 */
export function forgiveAttempt(row: ThrottleRow, policy: ThrottlePolicy): ThrottleRow | null {
  const failedAttempts = row.failedAttempts - 1;
  if (failedAttempts <= 0) return null;
  return { ...row, failedAttempts, pausedUntil: pauseAfterFailures(failedAttempts, policy) > 0 ? row.pausedUntil : null };
}
