import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type JournalEntry,
  type SessionCloseReason,
  type Signer,
  bytesToHex,
  checkPin,
  createSigner,
  isPepperedPinVerifier,
  makePinVerifier,
  verifyChain,
} from '../../protocol/index.js';
import type { SessionPolicy } from '../../main/core/sessions.js';
import type { DeviceKind } from '../../protocol/wire.js';
import { writeSyncValue } from '../../db/queries/sync.js';
import { CLERK, INSPECTOR, openTestDevice, SeededRandomness, type TestDevice } from '../support/device.js';
import { expectCoreError, expectRefusedWithoutWriting } from '../support/core-assertions.js';
import { type CoreError } from '../../main/core/errors.js';
import { SignInRefused } from '../../main/core/sessions.js';

/**
 * Item 5 on a real SQLite file: badge + PIN sign-in, kiosk operator switch, idle lock and key
 * rotation, each ending the old session with a signed close entry and destroying its secret.
 * Every scenario ends with the device's own chain verifying (afterEach).
 */
const MINUTE = 60_000;
const NOTE = [
  { op: 'set', field: 'subjectType', value: 'workOrder' },
  { op: 'set', field: 'subjectId', value: 'wo-7' },
  { op: 'set', field: 'body', value: 'chassis parked in row F' },
] as const;

let device: TestDevice;

function open(policy: Partial<SessionPolicy> = {}, random?: SeededRandomness, encrypt = true): TestDevice {
  device = openTestDevice({ seed: 'sessions', sessionPolicy: policy, ...(random ? { random } : {}), encrypt });
  return device;
}

function recordNote(): JournalEntry['body'] {
  const { seq } = device.core.perform({ recordType: 'note', action: 'create', ops: NOTE });
  return device.core.journal({ fromSeq: seq, toSeq: seq })[0]!.body;
}

/** The active session's signer. Side-effect free right after sign-in or an action (no rotation or idle lock is due). */
function activeSigner(): Signer {
  return device.core.sessions.requireActive().signer;
}

function sessionEntries(): JournalEntry['body'][] {
  return device.core.journal().map((entry) => entry.body).filter((body) => body.kind !== 'record');
}

function closeReasons(): SessionCloseReason[] {
  return sessionEntries().flatMap((body) => (body.kind === 'session.close' ? [body.reason] : []));
}

/** Everything a refused sign-in tells the person at the kiosk. */
function refusal(error: CoreError) {
  expect(error).toBeInstanceOf(SignInRefused);
  return { code: error.code, message: error.message, retry: (error as SignInRefused).retry };
}

afterEach(() => {
  if (device.core.database.sqlite.open) {
    expect(device.core.verifyJournal()).toMatchObject({ ok: true });
    device.core.close();
  }
});

describe('sign-in', () => {
  it('opens a session whose certificate is signed by the device key and journaled', () => {
    const { core } = open();
    const session = core.signIn(CLERK.badgeId, CLERK.pin);

    expect(session).toMatchObject({ operatorId: CLERK.operatorId });
    expect(core.status().session).toEqual(session);
    const [opened] = sessionEntries();
    expect(opened).toMatchObject({
      kind: 'session.open',
      sessionId: session.sessionId,
      operatorId: CLERK.operatorId,
      certificate: { certificate: { sessionId: session.sessionId, operatorId: CLERK.operatorId, deviceId: core.deviceId, firstSeq: opened!.seq } },
    });
    expect(recordNote()).toMatchObject({ sessionId: session.sessionId, operatorId: CLERK.operatorId });
  });

  it('refuses a wrong PIN and an unknown badge with the same answer, journals nothing and leaves nobody signed in', () => {
    const { core } = open();
    const wrongPin = expectRefusedWithoutWriting(core, () => core.signIn(CLERK.badgeId, '0000'), 'wrong-pin', /^wrong badge or PIN$/);
    const unknownBadge = expectRefusedWithoutWriting(core, () => core.signIn('B999', CLERK.pin), 'wrong-pin', /^wrong badge or PIN$/);
    expect(refusal(unknownBadge)).toEqual(refusal(wrongPin));
    expect(refusal(wrongPin)).toMatchObject({ retry: { attemptsLeft: 4, retryInMs: 0 } });
    expect(core.status().session).toBeNull();
    expectRefusedWithoutWriting(core, () => core.perform({ recordType: 'note', action: 'create', ops: NOTE }), 'not-signed-in', /sign in to record actions/);
  });

  it('takes a badge id in any letter case and around spaces, as the screen shows it in capitals', () => {
    const { core } = open();
    const badge = 'Gate-01';
    core.provisionOperator({ operatorId: 'op-gina', badgeId: badge, displayName: 'Gina Gate', role: 'gate-clerk', pinVerifier: makePinVerifier('2468', device.random.bytes(16)) });
    for (const typed of ['gate-01', ' GATE-01 ', 'gAtE-01']) {
      expect(core.signIn(typed, '2468').operatorId).toBe('op-gina');
      core.signOut();
    }
  });

  it('refuses actions before sign-in and after sign-out', () => {
    const { core } = open();
    const attempt = () => core.perform({ recordType: 'note', action: 'create', ops: NOTE });
    expectRefusedWithoutWriting(core, attempt, 'not-signed-in', /sign in to record actions/);
    core.signIn(CLERK.badgeId, CLERK.pin);
    const signer = activeSigner();
    core.signOut();
    expect(signer.destroyed).toBe(true);
    expect(closeReasons()).toEqual(['sign-out']);
    expectRefusedWithoutWriting(core, attempt, 'not-signed-in', /sign in to record actions/);
  });
});

describe('wrong PINs', () => {
  const SECOND = 1000;

  /** Signs in expecting a refusal; returns what the kiosk is told. */
  function refused(badgeId: string, pin: string) {
    let thrown: unknown = null;
    try {
      device.core.signIn(badgeId, pin);
    } catch (error) {
      thrown = error;
    }
    return refusal(thrown as CoreError);
  }

  /** Gets `badgeId` to the start of its first pause (five wrong PINs); returns each answer. */
  function fiveWrong(badgeId: string) {
    return ['0000', '1111', '2222', '3333', '4444'].map((pin) => refused(badgeId, pin));
  }

  it('count down to a pause: the kiosk is told the tries left, then for how long sign-in with the badge is paused', () => {
    open();
    expect(fiveWrong(CLERK.badgeId)).toEqual([
      { code: 'wrong-pin', message: 'wrong badge or PIN', retry: { attemptsLeft: 4, retryInMs: 0 } },
      { code: 'wrong-pin', message: 'wrong badge or PIN', retry: { attemptsLeft: 3, retryInMs: 0 } },
      { code: 'wrong-pin', message: 'wrong badge or PIN; 2 more wrong PINs and sign-in with this badge pauses', retry: { attemptsLeft: 2, retryInMs: 0 } },
      { code: 'wrong-pin', message: 'wrong badge or PIN; 1 more wrong PIN and sign-in with this badge pauses', retry: { attemptsLeft: 1, retryInMs: 0 } },
      { code: 'wrong-pin', message: 'wrong badge or PIN; sign-in with this badge is paused for 30 s', retry: { attemptsLeft: 0, retryInMs: 30 * SECOND } },
    ]);
  });

  it('during a pause, refuse the right PIN and a wrong one alike without counting them; after it, the right PIN signs in and the count starts over', () => {
    open();
    fiveWrong(CLERK.badgeId);
    device.clock.advance(10 * SECOND);
    const paused = { code: 'operator-locked-out', message: 'too many wrong PINs: sign-in with this badge is paused; try again in 20 s', retry: { attemptsLeft: 0, retryInMs: 20 * SECOND } };
    expect(refused(CLERK.badgeId, CLERK.pin)).toEqual(paused);
    expect(refused(CLERK.badgeId, '9999')).toEqual(paused);
    // Restarting the app does not end the pause.
    device = device.reopen();
    expect(refused(CLERK.badgeId, CLERK.pin)).toEqual(paused);
    // The pause is the badge's, not the kiosk's.
    expect(device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin).operatorId).toBe(INSPECTOR.operatorId);
    device.core.signOut();

    device.clock.advance(20 * SECOND);
    expect(device.core.signIn(CLERK.badgeId, CLERK.pin).operatorId).toBe(CLERK.operatorId);
    device.core.signOut();
    expect(refused(CLERK.badgeId, '0000').retry).toEqual({ attemptsLeft: 4, retryInMs: 0 });
  });

  it('double the pause with each further wrong PIN up to 15 minutes, and never make it longer or permanent', () => {
    open();
    fiveWrong(CLERK.badgeId);
    const pauses = [30 * SECOND];
    for (let further = 0; further < 7; further++) {
      device.clock.advance(pauses.at(-1)!);
      pauses.push(refused(CLERK.badgeId, '0000').retry.retryInMs);
    }
    expect(pauses.map((ms) => ms / SECOND)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    expect(refused(CLERK.badgeId, CLERK.pin).message).toBe('too many wrong PINs: sign-in with this badge is paused; try again in 15 min');
    device.clock.advance(15 * 60 * SECOND);
    expect(device.core.signIn(CLERK.badgeId, CLERK.pin).operatorId).toBe(CLERK.operatorId);
  });

  it('never pause longer than 15 minutes when the device clock is set back', () => {
    open();
    fiveWrong(CLERK.badgeId);
    device.clock.advance(-24 * 60 * 60 * SECOND);
    expect(refused(CLERK.badgeId, CLERK.pin).retry).toEqual({ attemptsLeft: 0, retryInMs: 15 * 60 * SECOND });
    device.clock.advance(15 * 60 * SECOND);
    expect(device.core.signIn(CLERK.badgeId, CLERK.pin).operatorId).toBe(CLERK.operatorId);
  });

  it('are forgotten a day after the last one', () => {
    open();
    for (const pin of ['0000', '1111', '2222']) refused(CLERK.badgeId, pin);
    device.clock.advance(24 * 60 * 60 * SECOND);
    expect(refused(CLERK.badgeId, '3333').retry).toEqual({ attemptsLeft: 4, retryInMs: 0 });
  });

  it('are counted for a badge whatever the letter case it is typed in, so changing case gives no fresh tries', () => {
    open();
    const lower = CLERK.badgeId.toLowerCase();
    expect(refused(lower, '0000').retry).toEqual({ attemptsLeft: 4, retryInMs: 0 });
    expect(refused(CLERK.badgeId, '1111').retry).toEqual({ attemptsLeft: 3, retryInMs: 0 });
    for (const pin of ['2222', '3333']) refused(` ${lower}`, pin);
    expect(refused(lower, '4444').retry).toEqual({ attemptsLeft: 0, retryInMs: 30 * SECOND });
    expect(refused(CLERK.badgeId, CLERK.pin).code).toBe('operator-locked-out');
    expect(device.core.sessions.signInPauses().map((pause) => pause.badgeId)).toEqual([CLERK.badgeId]);
  });

  it('are not counted for a badge id that is not text (it could never be journaled): it is refused as invalid input', () => {
    open();
    for (const badgeId of ['B2\u000000', 'B\ud800', 'B'.repeat(65), '']) {
      expectRefusedWithoutWriting(device.core, () => device.core.signIn(badgeId, '0000'), 'invalid-input', /a badge id is 1 to 64 characters of text/);
    }
    expect(device.core.sessions.signInPauses()).toEqual([]);
    expect(refused(CLERK.badgeId, '0000').retry).toEqual({ attemptsLeft: 4, retryInMs: 0 });
  });

  it('for a badge the device does not know get exactly the answers a known badge gets, pause included', () => {
    open();
    const answers = (badgeId: string) => [...fiveWrong(badgeId), refused(badgeId, CLERK.pin)];
    expect(answers('B999')).toEqual(answers(CLERK.badgeId));
  });

  it('leave every pause in the signed journal once a session opens, and in the list the device shows', () => {
    open();
    fiveWrong(CLERK.badgeId);
    const clerkPausedAt = device.clock.now();
    device.clock.advance(5 * SECOND);
    fiveWrong('B999');
    device.clock.advance(30 * SECOND);
    refused('B999', '5555');
    expect(device.core.journal()).toEqual([]);
    expect(device.core.sessions.signInPauses().map((pause) => pause.journalSeq)).toEqual([null, null, null]);

    const session = device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    const [opened, audit] = sessionEntries();
    expect(opened).toMatchObject({ kind: 'session.open', sessionId: session.sessionId });
    expect(audit).toEqual(
      expect.objectContaining({
        kind: 'sign-in.paused',
        sessionId: session.sessionId,
        operatorId: INSPECTOR.operatorId,
        pauses: [
          { badgeId: CLERK.badgeId, failedAttempts: 5, pausedAt: clerkPausedAt, pausedForMs: 30 * SECOND },
          { badgeId: 'B999', failedAttempts: 5, pausedAt: clerkPausedAt + 5 * SECOND, pausedForMs: 30 * SECOND },
          { badgeId: 'B999', failedAttempts: 6, pausedAt: clerkPausedAt + 35 * SECOND, pausedForMs: 60 * SECOND },
        ],
      }),
    );
    expect(verifyChain({ deviceId: device.core.deviceId, devicePublicKey: device.core.devicePublicKey }, { entries: device.core.journal() })).toMatchObject({
      ok: true,
      entriesVerified: 2,
    });
    expect(device.core.sessions.signInPauses().map(({ badgeId, failedAttempts, journalSeq }) => ({ badgeId, failedAttempts, journalSeq }))).toEqual([
      { badgeId: 'B999', failedAttempts: 6, journalSeq: audit!.seq },
      { badgeId: 'B999', failedAttempts: 5, journalSeq: audit!.seq },
      { badgeId: CLERK.badgeId, failedAttempts: 5, journalSeq: audit!.seq },
    ]);

    // Journaled once: the next session has nothing to add.
    device.core.signIn(CLERK.badgeId, CLERK.pin);
    expect(sessionEntries().filter((body) => body.kind === 'sign-in.paused')).toHaveLength(1);
  });
});

describe('stored PIN verifiers', () => {
  const OFFICER = { operatorId: 'op-olga', badgeId: 'B400', displayName: 'Olga Office', role: 'gate-clerk' as const };
  const PIN = '8642';

  function storedVerifier(operatorId: string): string {
    return (device.core.database.sqlite.prepare('SELECT pin_verifier AS v FROM operators WHERE operator_id = ?').get(operatorId) as { v: string }).v;
  }

  function filesContain(needle: string): boolean {
    const dir = dirname(device.path);
    return readdirSync(dir).some((name) => readFileSync(join(dir, name)).includes(needle));
  }

  it('keep only a peppered form: the database alone cannot test a PIN guess, the key store pepper can', () => {
    open({}, undefined, false);
    const office = makePinVerifier(PIN, device.random.bytes(16));
    device.core.provisionOperator({ ...OFFICER, pinVerifier: office });
    const officeHash = office.split('$').at(-1)!;

    const stored = storedVerifier(OFFICER.operatorId);
    expect(stored).not.toContain(officeHash);
    expect(filesContain(officeHash)).toBe(false);
    // Someone with the database but not the pepper: neither the right PIN nor any pepper they might try.
    expect(checkPin(PIN, stored, new Uint8Array(32))).toBe(false);
    expect(checkPin(PIN, stored, device.random.bytes(32))).toBe(false);
    expect(checkPin(PIN, stored, device.keyStore.pinPepper())).toBe(true);
    expect(device.core.signIn(OFFICER.badgeId, PIN).operatorId).toBe(OFFICER.operatorId);
  });

  it('left in the office form by an older version are peppered when the device opens, with no copy of the office hash left in its files', () => {
    open({}, undefined, false);
    const office = makePinVerifier(PIN, device.random.bytes(16));
    device.core.provisionOperator({ ...OFFICER, pinVerifier: office });
    // What a device before peppering stored.
    device.core.database.sqlite.prepare('UPDATE operators SET pin_verifier = ? WHERE operator_id = ?').run(office, OFFICER.operatorId);
    const officeHash = office.split('$').at(-1)!;
    device.core.close();
    expect(filesContain(officeHash)).toBe(true);

    device = device.reopen();
    expect(isPepperedPinVerifier(storedVerifier(OFFICER.operatorId))).toBe(true);
    expect(filesContain(officeHash)).toBe(false);
    expect(device.core.signIn(OFFICER.badgeId, PIN).operatorId).toBe(OFFICER.operatorId);
    expectCoreError(() => device.core.signIn(OFFICER.badgeId, '8643'), 'wrong-pin', /^wrong badge or PIN$/);
  });

  it('are useless on a device whose key store holds another pepper', () => {
    open();
    const stolen = storedVerifier(CLERK.operatorId);
    expect(checkPin(CLERK.pin, stolen, device.keyStore.pinPepper())).toBe(true);
    const elsewhere = openTestDevice({ seed: 'another-device' });
    elsewhere.core.database.sqlite.prepare('UPDATE operators SET pin_verifier = ? WHERE operator_id = ?').run(stolen, CLERK.operatorId);
    expectCoreError(() => elsewhere.core.signIn(CLERK.badgeId, CLERK.pin), 'wrong-pin', /^wrong badge or PIN$/);
    elsewhere.core.close();
  });
});

describe('a shared kiosk', () => {
  it('switching operator closes the previous session with a signed sign-out and opens a new one', () => {
    const { core } = open();
    const gus = core.signIn(CLERK.badgeId, CLERK.pin);
    const gusSigner = activeSigner();
    recordNote();
    const ines = core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);

    expect(gusSigner.destroyed).toBe(true);
    expect(ines.sessionId).not.toBe(gus.sessionId);
    expect(sessionEntries().slice(-2)).toMatchObject([
      { kind: 'session.close', reason: 'sign-out', sessionId: gus.sessionId, operatorId: CLERK.operatorId },
      { kind: 'session.open', sessionId: ines.sessionId, operatorId: INSPECTOR.operatorId },
    ]);
    expect(recordNote()).toMatchObject({ sessionId: ines.sessionId, operatorId: INSPECTOR.operatorId });
  });

  it('locks when idle: the next action is refused and a signed idle-lock close is journaled', () => {
    open({ idleLockMs: { kiosk: 5 * MINUTE, cab: 5 * MINUTE } });
    const { core } = device;
    const session = core.signIn(CLERK.badgeId, CLERK.pin);
    const signer = activeSigner();
    device.clock.advance(4 * MINUTE);
    recordNote();
    device.clock.advance(5 * MINUTE);
    const notes = core.listRecords('note').length;

    expectCoreError(() => core.perform({ recordType: 'note', action: 'create', ops: NOTE }), 'not-signed-in', /locked after being idle/);
    expect(core.listRecords('note')).toHaveLength(notes);
    expect(sessionEntries().at(-1)).toMatchObject({ kind: 'session.close', reason: 'idle-lock', sessionId: session.sessionId });
    expect(signer.destroyed).toBe(true);
    expect(core.status().session).toBeNull();
  });

  it('lockIfIdle (the shell timer) locks only once the idle time has passed', () => {
    open({ idleLockMs: { kiosk: 5 * MINUTE, cab: 5 * MINUTE } });
    const { core } = device;
    core.signIn(CLERK.badgeId, CLERK.pin);
    const signer = activeSigner();
    device.clock.advance(5 * MINUTE - 1);
    expect(core.sessions.lockIfIdle()).toBe(false);
    expect(signer.destroyed).toBe(false);
    device.clock.advance(1);
    expect(core.sessions.lockIfIdle()).toBe(true);
    expect(signer.destroyed).toBe(true);
    expect(closeReasons()).toEqual(['idle-lock']);
  });
});

describe('lock timeouts by what the device is', () => {
  /** What enrolling as a cab laptop stores (enroll.ts); the office is not needed to choose the lock. */
  function enrollAs(kind: DeviceKind): void {
    writeSyncValue(device.core.database.db, 'enrollment', {
      deviceId: device.core.deviceId,
      kind,
      siteId: 'yard-7',
      organisationId: 'org-1',
      credential: 'c'.repeat(32),
      serverPublicKey: 'ab'.repeat(32),
      enrolledAt: device.clock.now(),
    });
  }

  it('lock a kiosk (or a device not enrolled yet) after 15 idle minutes, and tell the screen a minute ahead', () => {
    const { core } = open();
    core.signIn(CLERK.badgeId, CLERK.pin);
    const signedInAt = device.clock.now();
    expect(core.sessions.lockDeadline()).toEqual({ at: signedInAt + 15 * MINUTE, reason: 'idle', warnFrom: signedInAt + 14 * MINUTE });
    device.clock.advance(10 * MINUTE);
    core.sessions.noteActivity();
    expect(core.sessions.lockDeadline()?.at).toBe(signedInAt + 25 * MINUTE);
    device.clock.advance(15 * MINUTE - 1);
    expect(core.sessions.lockIfIdle()).toBe(false);
    device.clock.advance(1);
    expect(core.sessions.lockIfIdle()).toBe(true);
    expect(closeReasons()).toEqual(['idle-lock']);
    expect(core.sessions.lockDeadline()).toBeNull();
  });

  it('lock a cab laptop after 30 idle minutes', () => {
    const { core } = open();
    enrollAs('cab');
    core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    device.clock.advance(30 * MINUTE - 1);
    expect(core.sessions.lockIfIdle()).toBe(false);
    device.clock.advance(1);
    expect(core.sessions.lockIfIdle()).toBe(true);
  });

  it('end any session 12 hours after sign-in however busy, across key rotations, with a signed session-limit close', () => {
    const { core } = open();
    enrollAs('cab');
    const signedIn = core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    // A note every 20 minutes for 12 hours: never idle, rotated every hour.
    for (let step = 1; step < 36; step++) {
      device.clock.advance(20 * MINUTE);
      recordNote();
    }
    expect(core.sessions.lockDeadline()).toMatchObject({ at: signedIn.openedAt + 12 * 60 * MINUTE, reason: 'limit' });
    expect(closeReasons().filter((reason) => reason === 'rotation').length).toBeGreaterThanOrEqual(11);
    device.clock.advance(20 * MINUTE);
    expectCoreError(() => core.perform({ recordType: 'note', action: 'create', ops: NOTE }), 'not-signed-in', /reached its time limit/);
    expect(closeReasons().at(-1)).toBe('session-limit');
    expect(core.status().session).toBeNull();
  });
});

describe('key rotation', () => {
  it('rotates every N entries: old session closed with rotation, a new certificate journaled, old secret destroyed', () => {
    open({ rotateAfterEntries: 3 });
    const { core } = device;
    core.signIn(CLERK.badgeId, CLERK.pin);
    const signers = new Map<string, Signer>([[core.status().session!.sessionId, activeSigner()]]);
    const actions: JournalEntry['body'][] = [];
    for (let i = 0; i < 7; i++) {
      const body = recordNote();
      actions.push(body);
      if (!signers.has(body.sessionId)) signers.set(body.sessionId, activeSigner());
    }

    const perSession = new Map<string, number>();
    for (const body of actions) perSession.set(body.sessionId, (perSession.get(body.sessionId) ?? 0) + 1);
    expect([...perSession.values()]).toEqual([3, 3, 1]);
    expect(closeReasons()).toEqual(['rotation', 'rotation']);
    const opens = sessionEntries().filter((body) => body.kind === 'session.open');
    expect(opens.map((body) => body.sessionId)).toEqual([...perSession.keys()]);
    expect(new Set(opens.map((body) => body.operatorId))).toEqual(new Set([CLERK.operatorId]));
    expect([...signers.values()].map((signer) => signer.destroyed)).toEqual([true, true, false]);
  });

  it('rotates every M minutes of session age, even while the operator is busy', () => {
    open({ rotateAfterMs: 10 * MINUTE, idleLockMs: { kiosk: 30 * MINUTE, cab: 30 * MINUTE }, rotateAfterEntries: 1000 });
    const { core } = device;
    const first = core.signIn(CLERK.badgeId, CLERK.pin);
    const firstSigner = activeSigner();
    device.clock.advance(9 * MINUTE);
    expect(recordNote().sessionId).toBe(first.sessionId);
    device.clock.advance(MINUTE);
    const rotated = recordNote();

    expect(rotated.sessionId).not.toBe(first.sessionId);
    expect(firstSigner.destroyed).toBe(true);
    const [close, reopen] = sessionEntries().slice(-2);
    expect(close).toMatchObject({ kind: 'session.close', reason: 'rotation', sessionId: first.sessionId });
    expect(reopen).toMatchObject({ kind: 'session.open', sessionId: rotated.sessionId, operatorId: CLERK.operatorId, seq: rotated.seq - 1 });
  });
});

describe('a full disk', () => {
  it('makes sign-in fail with storage-full, leaving no half-open session, and sign-in works once space returns', () => {
    const { core } = open();
    core.signIn(CLERK.badgeId, CLERK.pin);
    const sqlite = core.database.sqlite;
    sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true }) as number}`);
    // Fill what is left until even a small action no longer fits; a session certificate is larger.
    let full = false;
    for (let attempt = 0; attempt < 200 && !full; attempt++) {
      try {
        recordNote();
      } catch (error) {
        expect(error).toMatchObject({ name: 'CoreError', code: 'storage-full' });
        full = true;
      }
    }
    expect(full).toBe(true);
    const notes = core.listRecords('note');

    expectCoreError(() => core.signIn(INSPECTOR.badgeId, INSPECTOR.pin), 'storage-full', /the disk is full/);
    expect(core.status().session).toBeNull();
    expect(core.listRecords('note')).toEqual(notes);
    expect(core.verifyJournal()).toMatchObject({ ok: true });

    sqlite.pragma('max_page_count = 1073741823');
    expect(core.signIn(INSPECTOR.badgeId, INSPECTOR.pin).operatorId).toBe(INSPECTOR.operatorId);
    expect(recordNote().operatorId).toBe(INSPECTOR.operatorId);
  });
});

/** Remembers the 32-byte secrets it hands out once `recording` is on (after the device key exists). */
class RecordingRandomness extends SeededRandomness {
  recording = false;
  readonly handedOut: { copy: Uint8Array; given: Uint8Array }[] = [];

  override bytes(length: number): Uint8Array {
    const given = super.bytes(length);
    if (this.recording && length === 32) this.handedOut.push({ copy: given.slice(), given });
    return given;
  }
}

describe('the session secret', () => {
  it('is destroyed when the app quits', () => {
    const { core } = open();
    core.signIn(CLERK.badgeId, CLERK.pin);
    const signer = activeSigner();
    expect(core.verifyJournal()).toMatchObject({ ok: true });
    core.close();
    expect(signer.destroyed).toBe(true);
    device = device.reopen();
    expect(closeReasons()).toEqual(['quit']);
  });

  it('never touches disk: no session seed appears in the database, WAL or any file of an unencrypted device', () => {
    const random = new RecordingRandomness('secret-scan');
    open({ rotateAfterEntries: 2, idleLockMs: { kiosk: 5 * MINUTE, cab: 5 * MINUTE } }, random, false);
    const { core } = device;
    random.recording = true;
    core.signIn(CLERK.badgeId, CLERK.pin);
    for (let i = 0; i < 5; i++) recordNote();
    core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    recordNote();
    device.clock.advance(5 * MINUTE);
    core.sessions.lockIfIdle();

    // The recorded bytes are exactly the session seeds: they derive every certified session key.
    const seeds = random.handedOut.map(({ copy }) => copy);
    const certifiedKeys = sessionEntries().flatMap((body) => (body.kind === 'session.open' ? [body.certificate.certificate.sessionPublicKey] : []));
    expect(seeds.map((seed) => bytesToHex(createSigner(seed, 'node').publicKey))).toEqual(certifiedKeys);
    expect(certifiedKeys).toHaveLength(4);
    // The buffer each seed was handed out in was zeroed once the key pair existed.
    expect(random.handedOut.every(({ given }) => given.every((byte) => byte === 0))).toBe(true);

    const dir = dirname(device.path);
    const scan = () => {
      const files = readdirSync(dir).map((name) => readFileSync(join(dir, name)));
      const found = (needle: Buffer | string) => files.some((bytes) => bytes.includes(needle));
      // The files are plain: what is meant to be on disk (the certified public keys) is found.
      expect(certifiedKeys.every((key) => found(key))).toBe(true);
      for (const seed of seeds) {
        const raw = Buffer.from(seed);
        expect([found(raw), found(raw.toString('hex')), found(raw.toString('base64'))]).toEqual([false, false, false]);
      }
    };
    expect(readdirSync(dir)).toContain('device.db-wal');
    scan();
    expect(core.verifyJournal()).toMatchObject({ ok: true });
    core.close();
    scan();
  });
});
