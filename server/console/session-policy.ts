import type { ThrottlePolicy } from './throttle.js';

/** How console sessions and sign-in are held: lifetimes, cookies, throttles. */
export interface ConsoleSettings {
  /**
   * Session cookies are `Secure` (and `__Host-` named) when the request came over TLS; this makes
   * them so for every request, for an office behind a proxy that ends TLS.
   */
  secureCookies: boolean;
  /** A session ends this long after sign-in, however busy... */
  sessionTtlMs: number;
  /** ...or after this long without a request. */
  idleTimeoutMs: number;
  /** A session's last use is written at most this often (every request would be a write). */
  touchEveryMs: number;
  /** Failed sign-ins per account (or per name nobody has: the answers must not differ). */
  accountThrottle: ThrottlePolicy;
  /** Failed sign-ins per source address, whatever the account: guessing across accounts. */
  addressThrottle: ThrottlePolicy;
}

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

export const DEFAULT_CONSOLE_SETTINGS: ConsoleSettings = {
  secureCookies: false,
  sessionTtlMs: 12 * HOUR,
  idleTimeoutMs: 30 * MINUTE,
  touchEveryMs: MINUTE,
  accountThrottle: { attemptsBeforePause: 5, firstPauseMs: 30 * 1000, maxPauseMs: 15 * MINUTE, forgetAfterMs: 24 * HOUR },
  // An office's staff share an address; a guesser trying many accounts from one still runs into it soon.
  addressThrottle: { attemptsBeforePause: 100, firstPauseMs: 30 * 1000, maxPauseMs: 15 * MINUTE, forgetAfterMs: HOUR },
};

export interface SessionTimes {
  lastSeenAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export type SessionStanding = { open: true; touch: boolean } | { open: false; why: string };

/** Whether a session still opens the console at `now`, and whether its last use is due to be written. */
export function sessionStanding(session: SessionTimes, now: number, settings: Pick<ConsoleSettings, 'idleTimeoutMs' | 'touchEveryMs'>): SessionStanding {
  if (session.revokedAt !== null) return { open: false, why: 'it was signed out' };
  if (now >= session.expiresAt) return { open: false, why: 'it expired' };
  if (now - session.lastSeenAt >= settings.idleTimeoutMs) return { open: false, why: 'it was idle too long' };
  return { open: true, touch: now - session.lastSeenAt >= settings.touchEveryMs };
}
