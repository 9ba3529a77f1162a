import {
  type SessionCloseReason,
  type Signer,
  bytesToHex,
  checkPin,
  createSigner,
  JOURNAL_FORMAT_VERSION,
  signCertificate,
} from '../../protocol/index.js';
import type { DeviceDb, Sqlite } from '../../db/open.js';
import { closeSessionRow, findOperatorByBadge, insertSession, recordPinAttempt } from '../../db/queries/sessions.js';
import { CoreError, storageError } from './errors.js';
import { appendSignedEntry, type SigningSession } from './journal-writer.js';
import { type Clock, type Randomness, randomId } from './ports.js';

export interface SessionPolicy {
  /** Rotate the session key after this many entries... */
  rotateAfterEntries: number;
  /** ...or after this long, whichever comes first. */
  rotateAfterMs: number;
  /** Lock (end the session) after this long without an action. */
  idleLockMs: number;
  maxPinAttempts: number;
  pinLockoutMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  rotateAfterEntries: 500,
  rotateAfterMs: 60 * 60 * 1000,
  idleLockMs: 5 * 60 * 1000,
  maxPinAttempts: 5,
  pinLockoutMs: 5 * 60 * 1000,
};

interface ActiveSession extends SigningSession {
  openedAt: number;
  lastActivityAt: number;
  entries: number;
}

export interface SessionInfo {
  sessionId: string;
  operatorId: string;
  openedAt: number;
}

interface SessionDeps {
  db: DeviceDb;
  sqlite: Sqlite;
  deviceId: string;
  deviceSigner: Signer;
  clock: Clock;
  random: Randomness;
  policy: SessionPolicy;
}

/**
 * Operator sessions. Each sign-in gets a fresh Ed25519 key pair whose certificate the device key
 * signs; the secret lives only in this object's memory and is destroyed when the session ends, so
 * entries of a closed session cannot be forged later, even by someone holding the device.
 */
export class SessionManager {
  #active: ActiveSession | null = null;

  constructor(private readonly deps: SessionDeps) {}

  get current(): SessionInfo | null {
    const active = this.#active;
    return active ? { sessionId: active.sessionId, operatorId: active.operatorId, openedAt: active.openedAt } : null;
  }

  signIn(badgeId: string, pin: string): SessionInfo {
    const { db, clock, policy } = this.deps;
    const operator = findOperatorByBadge(db, badgeId);
    if (!operator) throw new CoreError('unknown-operator', `no operator with badge ${badgeId} may sign in on this device`);
    const now = clock.now();
    if (operator.lockedUntil !== null && operator.lockedUntil > now) {
      throw new CoreError('operator-locked-out', `too many wrong PINs; try again in ${Math.ceil((operator.lockedUntil - now) / 60000)} min`);
    }
    if (!checkPin(pin, operator.pinVerifier)) {
      const failures = operator.failedAttempts + 1;
      const lockedUntil = failures >= policy.maxPinAttempts ? now + policy.pinLockoutMs : null;
      recordPinAttempt(db, operator.operatorId, lockedUntil ? 0 : failures, lockedUntil);
      throw new CoreError('wrong-pin', lockedUntil ? 'wrong PIN; sign-in is locked for a while' : 'wrong PIN');
    }
    recordPinAttempt(db, operator.operatorId, 0, null);
    if (this.#active) this.end('sign-out');
    return this.#open(operator.operatorId);
  }

  /** The session to sign the next action with, rotating or locking it first when due. */
  requireActive(): ActiveSession {
    const { clock, policy } = this.deps;
    const active = this.#active;
    if (!active) throw new CoreError('not-signed-in', 'sign in to record actions');
    const now = clock.now();
    if (now - active.lastActivityAt >= policy.idleLockMs) {
      this.end('idle-lock');
      throw new CoreError('not-signed-in', 'the session locked after being idle; sign in again');
    }
    if (active.entries >= policy.rotateAfterEntries || now - active.openedAt >= policy.rotateAfterMs) {
      this.end('rotation');
      return this.#openActive(active.operatorId);
    }
    return active;
  }

  /** Called after an action committed with the active session. */
  noteEntry(): void {
    if (!this.#active) return;
    this.#active.entries++;
    this.noteActivity();
  }

  /** The operator used the app (reading counts too): the idle lock starts over. */
  noteActivity(): void {
    if (this.#active) this.#active.lastActivityAt = this.deps.clock.now();
  }

  lockIfIdle(): boolean {
    const active = this.#active;
    if (!active || this.deps.clock.now() - active.lastActivityAt < this.deps.policy.idleLockMs) return false;
    this.end('idle-lock');
    return true;
  }

  /** Journals a signed session-close entry, then destroys the session secret. */
  end(reason: SessionCloseReason): void {
    const active = this.#active;
    if (!active) return;
    const { db, sqlite, deviceId, clock } = this.deps;
    try {
      sqlite.transaction(() => {
        const entry = appendSignedEntry(db, deviceId, clock, active, { kind: 'session.close', reason });
        closeSessionRow(db, active.sessionId, entry.body.seq, entry.body.deviceTime, reason);
      })();
    } catch (error) {
      throw storageError(error);
    } finally {
      active.signer.destroy();
      this.#active = null;
    }
  }

  #open(operatorId: string): SessionInfo {
    this.#openActive(operatorId);
    return this.current!;
  }

  #openActive(operatorId: string): ActiveSession {
    const { db, sqlite, deviceId, deviceSigner, clock, random } = this.deps;
    const seed = random.bytes(32);
    const signer = createSigner(seed, 'node');
    seed.fill(0);
    const sessionId = randomId(random, 'ses');
    const session: ActiveSession = { sessionId, operatorId, signer, openedAt: clock.now(), lastActivityAt: clock.now(), entries: 0 };
    try {
      sqlite.transaction(() => {
        const entry = appendSignedEntry(db, deviceId, clock, session, (tip, deviceTime) => ({
          kind: 'session.open',
          certificate: signCertificate(
            {
              v: JOURNAL_FORMAT_VERSION,
              deviceId,
              sessionId,
              operatorId,
              sessionPublicKey: bytesToHex(signer.publicKey),
              startedAt: deviceTime,
              prevChainHead: tip.head,
              firstSeq: tip.seq + 1,
            },
            deviceSigner,
          ),
        }));
        if (entry.body.kind === 'session.open') insertSession(db, entry.body.certificate, entry.body.seq);
      })();
    } catch (error) {
      signer.destroy();
      throw storageError(error);
    }
    this.#active = session;
    return session;
  }
}
