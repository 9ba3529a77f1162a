import type { DeviceKind } from '../../protocol/wire.js';

/**
 * When a signed-in session locks by itself. A shared gate kiosk locks sooner than a cab laptop
 * one driver keeps all shift, and no session outlives a shift however busy it is.
 */
export interface SessionTimeouts {
  /** Lock after this long without the operator using the app, by what the device is. */
  idleLockMs: Record<DeviceKind, number>;
  /** End a session this long after its operator signed in; key rotation does not restart it. */
  sessionLimitMs: number;
  /** The screen warns, with a countdown, this long before the lock. */
  lockWarningMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = {
  idleLockMs: { kiosk: 15 * 60 * 1000, cab: 30 * 60 * 1000 },
  sessionLimitMs: 12 * 60 * 60 * 1000,
  lockWarningMs: 60 * 1000,
};

/** idle: nobody used the app for the device's idle time. limit: the session reached the absolute limit. */
export type LockReason = 'idle' | 'limit';

export interface LockDeadline {
  at: number;
  reason: LockReason;
  /** From when the screen shows the countdown. */
  warnFrom: number;
}

/** The first of the idle lock and the absolute limit; the idle lock wins a tie (staying active would not help). */
export function lockDeadline(timeouts: SessionTimeouts, kind: DeviceKind, session: { signedInAt: number; lastActivityAt: number }): LockDeadline {
  const idleAt = session.lastActivityAt + timeouts.idleLockMs[kind];
  const limitAt = session.signedInAt + timeouts.sessionLimitMs;
  const [at, reason]: [number, LockReason] = limitAt < idleAt ? [limitAt, 'limit'] : [idleAt, 'idle'];
  return { at, reason, warnFrom: at - timeouts.lockWarningMs };
}
