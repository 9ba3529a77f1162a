import {
  type SessionCloseReason,
  type Signer,
  badgeKey,
  bytesToHex,
  checkPin,
  createSigner,
  decoyPinVerifier,
  isPepperedPinVerifier,
  JOURNAL_FORMAT_VERSION,
  MAX_BADGE_ID_LENGTH,
  MAX_PAUSES_PER_ENTRY,
  MIN_PIN_LENGTH,
  pepperPinVerifier,
  signCertificate,
} from '../../protocol/index.js';
import { attemptsLeftBeforePause, describeWait, pauseAfterFailures, pauseLeft } from '../../protocol/pause.js';
import { textProblem } from '../../protocol/text.js';
import type { DeviceDb, Sqlite } from '../../db/open.js';
import {
  clearPinThrottle,
  closeSessionRow,
  findOperatorByBadge,
  forgetJournaledPauses,
  forgetPinThrottles,
  insertSession,
  insertSignInPause,
  listOperatorVerifiers,
  listSignInPauses,
  listUnjournaledPauses,
  markPausesJournaled,
  type PinThrottleRow,
  readPinThrottle,
  setOperatorVerifier,
  type SignInPauseRow,
  writePinThrottle,
} from '../../db/queries/sessions.js';
import { readSyncValue, replaceOperator, type SyncedOperatorRow } from '../../db/queries/sync.js';
import { CoreError, storageError } from './errors.js';
import { appendSignedEntry, type SigningSession } from './journal-writer.js';
import { type Clock, type Randomness, randomId } from './ports.js';
import { DEFAULT_SESSION_TIMEOUTS, type LockDeadline, lockDeadline, type SessionTimeouts } from './session-timeouts.js';
import type { DeviceKind } from '../../protocol/wire.js';

export interface SessionPolicy extends SessionTimeouts {
  /** Rotate the session key after this many entries... */
  rotateAfterEntries: number;
  /** ...or after this long, whichever comes first. */
  rotateAfterMs: number;
  /** Wrong PINs in a row for one badge before sign-in with it pauses. */
  pinAttemptsBeforePause: number;
  /** The pause after that many; every further wrong PIN doubles it... */
  firstPinPauseMs: number;
  /** ...up to this, so a colleague can never be locked out for long. */
  maxPinPauseMs: number;
  /** A badge's wrong PINs are forgotten after this long without another. */
  forgetWrongPinsAfterMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  ...DEFAULT_SESSION_TIMEOUTS,
  rotateAfterEntries: 500,
  rotateAfterMs: 60 * 60 * 1000,
  pinAttemptsBeforePause: 5,
  firstPinPauseMs: 30 * 1000,
  maxPinPauseMs: 15 * 60 * 1000,
  forgetWrongPinsAfterMs: 24 * 60 * 60 * 1000,
};

/** How long the device keeps journaled pauses for its own screens; the journal keeps them for good. */
const PAUSE_HISTORY_MS = 30 * 24 * 60 * 60 * 1000;

/** What the sign-in screen can tell the operator after a refusal. */
export interface SignInRetry {
  /** Wrong PINs this badge may still have before sign-in with it pauses (0 while it is paused). */
  attemptsLeft: number;
  /** How long sign-in with this badge stays paused; 0 when it is not. */
  retryInMs: number;
}

/** A refused sign-in. A badge the device does not know is refused exactly like a wrong PIN. */
export class SignInRefused extends CoreError {
  constructor(
    code: 'wrong-pin' | 'operator-locked-out',
    message: string,
    readonly retry: SignInRetry,
  ) {
    super(code, message);
  }
}

interface ActiveSession extends SigningSession {
  openedAt: number;
  /** When the operator signed in: the sessions key rotation opens after it keep it, for the absolute limit. */
  signedInAt: number;
  lastActivityAt: number;
  entries: number;
}

export interface SessionLockView {
  /** Until the session locks, unless the operator uses the app first (an idle lock). */
  inMs: number;
  reason: LockDeadline['reason'];
  /** How long before the lock the screen counts down. */
  warnMs: number;
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
  /** The key store's PIN pepper: stored PIN verifiers are useless without it. */
  pinPepper: Uint8Array;
  /** What the device is now (it can be enrolled while running): its idle lock depends on it. */
  deviceKind: () => DeviceKind;
}

/** Stores an operator as the office sent them, keeping only the peppered form of their PIN verifier. */
export function storeOfficeOperator(db: DeviceDb, operator: SyncedOperatorRow, pinPepper: Uint8Array): void {
  replaceOperator(db, { ...operator, pinVerifier: pepperPinVerifier(operator.pinVerifier, pinPepper) });
}

/**
 * Operator sessions. Each sign-in gets a fresh Ed25519 key pair whose certificate the device key
 * signs; the secret lives only in this object's memory and is destroyed when the session ends, so
 * entries of a closed session cannot be forged later, even by someone holding the device.
 */
export class SessionManager {
  #active: ActiveSession | null = null;
  readonly #decoyVerifier: string;

  constructor(private readonly deps: SessionDeps) {
    this.#decoyVerifier = decoyPinVerifier(deps.pinPepper);
    this.#pepperStoredVerifiers();
  }

  get current(): SessionInfo | null {
    const active = this.#active;
    return active ? { sessionId: active.sessionId, operatorId: active.operatorId, openedAt: active.openedAt } : null;
  }

  /**
   * Badge + PIN sign-in. Wrong PINs are counted per badge as typed, and a badge the device does not
   * know is checked against a decoy verifier at the same scrypt cost, so no answer tells whether a
   * badge exists. After `pinAttemptsBeforePause` wrong PINs in a row, sign-in with the badge pauses
   * (attempts are refused without checking the PIN) for a time that doubles with each further wrong
   * PIN up to `maxPinPauseMs`; a correct PIN once the pause is over starts the count again.
   */
  signIn(typedBadgeId: string, pin: string): SessionInfo {
    const { db, clock, pinPepper } = this.deps;
    // Counted and looked up in one letter case, so `gate-01` neither fails for GATE-01 nor gets wrong PINs of its own.
    const badgeId = badgeKey(typedBadgeId);
    // Refused before it is counted: a pause names the badge in the journal, which holds only text.
    if (badgeId.length === 0 || badgeId.length > MAX_BADGE_ID_LENGTH || textProblem(badgeId)) {
      throw new CoreError('invalid-input', `a badge id is 1 to ${MAX_BADGE_ID_LENGTH} characters of text`, 'badgeId');
    }
    const now = clock.now();
    const throttle = this.#throttle(badgeId, now);
    const pausedForMs = this.#pauseLeft(throttle, now);
    if (pausedForMs > 0) {
      throw new SignInRefused('operator-locked-out', `too many wrong PINs: sign-in with this badge is paused; try again in ${describeWait(pausedForMs)}`, {
        attemptsLeft: 0,
        retryInMs: pausedForMs,
      });
    }
    const operator = findOperatorByBadge(db, badgeId);
    const pinMatches = checkPin(pin, operator?.pinVerifier ?? this.#decoyVerifier, pinPepper);
    if (!operator || !pinMatches) throw this.#wrongPin(badgeId, throttle?.failedAttempts ?? 0, now);
    if (throttle) this.#write(() => clearPinThrottle(db, badgeId));
    if (this.#active) this.end('sign-out');
    return this.#open(operator.operatorId);
  }

  /** Recent pauses of sign-in, newest first, with the journal entry that recorded each once a session opened. */
  signInPauses(limit = 50): SignInPauseRow[] {
    return listSignInPauses(this.deps.db, limit);
  }

  /** The fewest digits the office lets a PIN have at this device's site (the sign-in screen can say so). */
  get pinMinLength(): number {
    const stored = readSyncValue(this.deps.db, 'site.pinMinLength');
    return typeof stored === 'number' ? stored : MIN_PIN_LENGTH;
  }

  /** The session to sign the next action with, rotating or locking it first when due. */
  requireActive(): ActiveSession {
    const { clock, policy } = this.deps;
    if (!this.#active) throw new CoreError('not-signed-in', 'sign in to record actions');
    const locked = this.#lockIfDue();
    if (locked) {
      throw new CoreError('not-signed-in', locked === 'idle' ? 'the session locked after being idle; sign in again' : 'the session reached its time limit; sign in again');
    }
    const active = this.#active;
    const now = clock.now();
    if (active.entries >= policy.rotateAfterEntries || now - active.openedAt >= policy.rotateAfterMs) {
      this.end('rotation');
      return this.#openActive(active.operatorId, active.signedInAt);
    }
    return active;
  }

  /** When the signed-in session will lock unless the operator uses the app (an idle lock), or regardless (the time limit); null when nobody is signed in. */
  lockDeadline(): LockDeadline | null {
    const active = this.#active;
    return active && lockDeadline(this.deps.policy, this.deps.deviceKind(), active);
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

  /** The lock as a countdown, for a screen whose clock may not be the core's. */
  lockCountdown(): SessionLockView | null {
    const deadline = this.lockDeadline();
    if (!deadline) return null;
    const now = this.deps.clock.now();
    return { inMs: Math.max(0, deadline.at - now), reason: deadline.reason, warnMs: deadline.at - deadline.warnFrom };
  }

  /** Locks the session when it is idle or at its time limit (every call from the screen and the shell's timer ask first). */
  lockIfIdle(): boolean {
    return this.#lockIfDue() !== null;
  }

  #lockIfDue(): LockDeadline['reason'] | null {
    const deadline = this.lockDeadline();
    if (!deadline || this.deps.clock.now() < deadline.at) return null;
    this.end(deadline.reason === 'idle' ? 'idle-lock' : 'session-limit');
    return deadline.reason;
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

  /** The badge's wrong-PIN state, unless a day without one has passed. */
  #throttle(badgeId: string, now: number): PinThrottleRow | null {
    const row = readPinThrottle(this.deps.db, badgeId);
    return row && now - row.lastFailedAt < this.deps.policy.forgetWrongPinsAfterMs ? row : null;
  }

  /** What is left of the badge's pause. A clock set back never stretches it past the longest pause. */
  #pauseLeft(throttle: PinThrottleRow | null, now: number): number {
    if (!throttle) return 0;
    const left = pauseLeft(throttle.pausedUntil, now, { maxPauseMs: this.deps.policy.maxPinPauseMs });
    // Cut for good, or the pause would stretch again once the clock is put right.
    if (left > 0 && throttle.pausedUntil! - now > left) this.#write(() => writePinThrottle(this.deps.db, { ...throttle, pausedUntil: now + left }));
    return left;
  }

  #wrongPin(badgeId: string, failedBefore: number, now: number): SignInRefused {
    const { db, policy } = this.deps;
    const failedAttempts = failedBefore + 1;
    const pausePolicy = { attemptsBeforePause: policy.pinAttemptsBeforePause, firstPauseMs: policy.firstPinPauseMs, maxPauseMs: policy.maxPinPauseMs };
    const pausedForMs = pauseAfterFailures(failedAttempts, pausePolicy);
    this.#write(() => {
      forgetPinThrottles(db, now - policy.forgetWrongPinsAfterMs);
      writePinThrottle(db, { badgeId, failedAttempts, lastFailedAt: now, pausedUntil: pausedForMs > 0 ? now + pausedForMs : null });
      if (pausedForMs > 0) insertSignInPause(db, { badgeId, failedAttempts, pausedAt: now, pausedForMs });
    });
    if (pausedForMs > 0) {
      return new SignInRefused('wrong-pin', `wrong badge or PIN; sign-in with this badge is paused for ${describeWait(pausedForMs)}`, {
        attemptsLeft: 0,
        retryInMs: pausedForMs,
      });
    }
    const attemptsLeft = attemptsLeftBeforePause(failedAttempts, pausePolicy);
    const warning = attemptsLeft <= 2 ? `; ${attemptsLeft} more wrong PIN${attemptsLeft === 1 ? '' : 's'} and sign-in with this badge pauses` : '';
    return new SignInRefused('wrong-pin', `wrong badge or PIN${warning}`, { attemptsLeft, retryInMs: 0 });
  }

  #write(write: () => void): void {
    try {
      this.deps.sqlite.transaction(write)();
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Operators stored before verifiers were peppered (or salvaged from such a database) get the
   * peppered form. With secure_delete the replaced office hashes are zeroed, not left in free space.
   */
  #pepperStoredVerifiers(): void {
    const { db, sqlite, pinPepper } = this.deps;
    const plain = listOperatorVerifiers(db).filter((operator) => !isPepperedPinVerifier(operator.pinVerifier));
    if (plain.length === 0) return;
    const secureDelete = sqlite.pragma('secure_delete', { simple: true }) as number;
    sqlite.pragma('secure_delete = ON');
    try {
      sqlite.transaction(() => {
        for (const { operatorId, pinVerifier } of plain) setOperatorVerifier(db, operatorId, pepperPinVerifier(pinVerifier, pinPepper));
      })();
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      sqlite.pragma(`secure_delete = ${secureDelete}`);
    }
  }

  /** Journals, with the session just opened, the pauses of sign-in since the last session opened. */
  #journalPauses(session: SigningSession, now: number): void {
    const { db, deviceId, clock } = this.deps;
    const pauses = listUnjournaledPauses(db, MAX_PAUSES_PER_ENTRY);
    if (pauses.length === 0) return;
    const entry = appendSignedEntry(db, deviceId, clock, session, {
      kind: 'sign-in.paused',
      pauses: pauses.map(({ badgeId, failedAttempts, pausedAt, pausedForMs }) => ({ badgeId, failedAttempts, pausedAt, pausedForMs })),
    });
    markPausesJournaled(db, pauses.at(-1)!.id, entry.body.seq);
    forgetJournaledPauses(db, now - PAUSE_HISTORY_MS);
  }

  #open(operatorId: string): SessionInfo {
    this.#openActive(operatorId);
    return this.current!;
  }

  #openActive(operatorId: string, signedInAt = this.deps.clock.now()): ActiveSession {
    const { db, sqlite, deviceId, deviceSigner, clock, random } = this.deps;
    const seed = random.bytes(32);
    const signer = createSigner(seed, 'node');
    seed.fill(0);
    const sessionId = randomId(random, 'ses');
    const session: ActiveSession = { sessionId, operatorId, signer, openedAt: clock.now(), signedInAt, lastActivityAt: clock.now(), entries: 0 };
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
        this.#journalPauses(session, entry.body.deviceTime);
      })();
    } catch (error) {
      signer.destroy();
      throw storageError(error);
    }
    this.#active = session;
    return session;
  }
}
