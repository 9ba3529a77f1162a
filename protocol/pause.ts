/**
 * Escalating pauses after failed sign-ins, counted by attempts: the device's badge + PIN sign-in and
 * the office console's password sign-in apply the same rule. A pause's length depends only on how
 * many failures came in a row, never on how fast they came; time only decides when it is over.
 */
export interface PausePolicy {
  /** Failures in a row before sign-in pauses. */
  attemptsBeforePause: number;
  /** The pause after that many; every further failure doubles it... */
  firstPauseMs: number;
  /** ...up to this, so a rightful user is never locked out for long. */
  maxPauseMs: number;
}

/** How long sign-in pauses after the `failedAttempts`-th failure in a row (0: not yet). */
export function pauseAfterFailures(failedAttempts: number, policy: PausePolicy): number {
  const beyond = failedAttempts - policy.attemptsBeforePause;
  return beyond < 0 ? 0 : Math.min(policy.firstPauseMs * 2 ** beyond, policy.maxPauseMs);
}

/** Failures left before sign-in pauses, after `failedAttempts` in a row. */
export function attemptsLeftBeforePause(failedAttempts: number, policy: PausePolicy): number {
  return Math.max(0, policy.attemptsBeforePause - failedAttempts);
}

/**
 * What is left of a pause lasting until `pausedUntil`. A clock set back never stretches it past
 * the longest pause.
 */
export function pauseLeft(pausedUntil: number | null, now: number, policy: Pick<PausePolicy, 'maxPauseMs'>): number {
  if (pausedUntil === null || pausedUntil <= now) return 0;
  return Math.min(pausedUntil - now, policy.maxPauseMs);
}

/** A wait as a person reads it, rounded up: "30 s", "4 min". */
export function describeWait(ms: number): string {
  return ms < 60_000 ? `${Math.ceil(ms / 1000)} s` : `${Math.ceil(ms / 60_000)} min`;
}
