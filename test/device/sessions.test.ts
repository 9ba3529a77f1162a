import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type JournalEntry, type SessionCloseReason, type Signer, bytesToHex, createSigner } from '../../protocol/index.js';
import type { SessionPolicy } from '../../main/core/sessions.js';
import { CLERK, INSPECTOR, openTestDevice, SeededRandomness, type TestDevice } from '../support/device.js';
import { expectCoreError, expectRefusedWithoutWriting, storeFootprint } from '../support/core-assertions.js';

/**
 * Item 5 on a real SQLite file: badge + PIN sign-in, lockout, kiosk operator switch, idle lock and
 * key rotation, each ending the old session with a signed close entry and destroying its secret.
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

  it('refuses a wrong PIN or an unknown badge, journals nothing and leaves nobody signed in', () => {
    const { core } = open();
    expectRefusedWithoutWriting(core, () => core.signIn(CLERK.badgeId, '0000'), 'wrong-pin', /^wrong PIN$/);
    expectRefusedWithoutWriting(core, () => core.signIn('B999', CLERK.pin), 'unknown-operator', /no operator with badge B999/);
    expect(core.status().session).toBeNull();
    expectRefusedWithoutWriting(core, () => core.perform({ recordType: 'note', action: 'create', ops: NOTE }), 'not-signed-in', /sign in to record actions/);
  });

  it('locks an operator out after maxPinAttempts wrong PINs, across a restart, until the lockout passes', () => {
    open({ maxPinAttempts: 3, pinLockoutMs: 5 * MINUTE });
    const before = storeFootprint(device.core);
    expectCoreError(() => device.core.signIn(CLERK.badgeId, '0000'), 'wrong-pin', /^wrong PIN$/);
    expectCoreError(() => device.core.signIn(CLERK.badgeId, '1111'), 'wrong-pin', /^wrong PIN$/);
    expectCoreError(() => device.core.signIn(CLERK.badgeId, '2222'), 'wrong-pin', /sign-in is locked/);
    // Now even the right PIN is refused, and restarting the app does not reset the count.
    expectCoreError(() => device.core.signIn(CLERK.badgeId, CLERK.pin), 'operator-locked-out', /try again in 5 min/);
    device = device.reopen();
    device.clock.advance(4 * MINUTE);
    expectCoreError(() => device.core.signIn(CLERK.badgeId, CLERK.pin), 'operator-locked-out', /try again in 1 min/);
    expect(storeFootprint(device.core)).toEqual(before);

    // The lockout is the operator's, not the kiosk's.
    device.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    device.core.signOut();
    device.clock.advance(MINUTE);
    expect(device.core.signIn(CLERK.badgeId, CLERK.pin).operatorId).toBe(CLERK.operatorId);
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
    open({ idleLockMs: 5 * MINUTE });
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
    open({ idleLockMs: 5 * MINUTE });
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
    open({ rotateAfterMs: 10 * MINUTE, idleLockMs: 30 * MINUTE, rotateAfterEntries: 1000 });
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
    open({ rotateAfterEntries: 2, idleLockMs: 5 * MINUTE }, random, false);
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
