import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { type SignedCheckpoint, signCheckpoint } from './checkpoint.js';
import { createSigner, domainMessage, isCanonicalSignature, SIGNATURE_DOMAINS, signInDomain, verifySignature } from './crypto/ed25519.js';
import { base64ToBytes, bytesToBase64, hexToBytes, sha256Hex, ZERO_HASH } from './crypto/hash.js';
import { canonicalBytes } from './canonical.js';
import { type JournalEntry, hashEntryBody, signCertificate, signEntry } from './journal.js';
import { merkleRoot } from './merkle.js';
import { type ChainFailureCode, type ChainVerdict, certifiedSession, checkpointCoversEntries, verifyChain } from './verify.js';
import { malleateSignature, seedFrom, TestChain } from '../test/support/chain-fixtures.js';
import { forgedSessionChain } from '../test/support/weak-keys.js';

/** open(1) record(2) record(3) record(4) close(5) */
function signedShift(deviceId?: string): TestChain {
  const chain = new TestChain(deviceId);
  chain.openSession();
  chain.record();
  chain.record();
  chain.record();
  chain.close();
  return chain;
}

function expectFailure(verdict: ChainVerdict, expected: { code: ChainFailureCode; seq: number | null; index: number }): void {
  if (verdict.ok) throw new Error(`expected ${expected.code} at index ${expected.index}, but the chain verified`);
  const { code, seq, index } = verdict.failure;
  expect({ code, seq, index }).toEqual(expected);
  // Everything before a failing entry was verified; a failing checkpoint stops before any entry.
  expect(verdict.entriesVerified).toBe(code === 'bad-checkpoint' ? 0 : index);
}

function copyOf(entries: readonly JournalEntry[]): JournalEntry[] {
  return structuredClone(entries) as JournalEntry[];
}

describe('verifyChain on an untouched chain', () => {
  it.each(['node', 'tweetnacl'] as const)('accepts a shift of several sessions and operators (%s backend)', (backend) => {
    const chain = new TestChain('dev-kiosk-2', backend);
    chain.openSession('op-gus');
    chain.record();
    chain.close('idle-lock');
    chain.openSession('op-ines');
    chain.record({ action: 'update', recordId: 'note-1', baseVersion: 3, ops: [{ op: 'set', field: 'body', value: 'fixed' }] });
    chain.close('quit');

    const verdict = verifyChain(chain.device, { entries: chain.entries }, backend);

    expect(verdict).toMatchObject({ ok: true, entriesVerified: 6, state: { lastSeq: 6, head: chain.head } });
    expect(verdict.state.session).toMatchObject({ sessionId: 'ses-2', operatorId: 'op-ines', closed: true });
  });

  it('accepts an empty list as the genesis state', () => {
    const chain = new TestChain();
    expect(verifyChain(chain.device, { entries: [] })).toMatchObject({ ok: true, entriesVerified: 0, state: { lastSeq: 0, head: ZERO_HASH } });
  });
});

describe('verifyChain names the first tampered entry and why', () => {
  it('an edited payload (hash left as signed) is a hash-mismatch', () => {
    const chain = signedShift();
    const entries = copyOf(chain.entries);
    const body = entries[2]!.body;
    if (body.kind !== 'record') throw new Error('entry 3 should be a record');
    body.ops[2] = { op: 'set', field: 'body', value: 'no defects found' };

    expectFailure(verifyChain(chain.device, { entries }), { code: 'hash-mismatch', seq: 3, index: 2 });
  });

  it('an edited payload with a recomputed hash is a bad-signature (the attacker cannot re-sign)', () => {
    const chain = signedShift();
    const entries = copyOf(chain.entries);
    const edited = entries[2]!;
    if (edited.body.kind !== 'record') throw new Error('entry 3 should be a record');
    edited.body.ops[2] = { op: 'set', field: 'body', value: 'no defects found' };
    edited.hash = hashEntryBody(edited.body);

    expectFailure(verifyChain(chain.device, { entries }), { code: 'bad-signature', seq: 3, index: 2 });
  });

  it('an edited signature is a bad-signature', () => {
    const chain = signedShift();
    const entries = copyOf(chain.entries);
    const signature = base64ToBytes(entries[2]!.signature);
    signature[5]! ^= 0x01;
    entries[2]!.signature = bytesToBase64(signature);

    expectFailure(verifyChain(chain.device, { entries }), { code: 'bad-signature', seq: 3, index: 2 });
  });

  it('a deleted middle entry is a sequence-gap at the entry after it', () => {
    const chain = signedShift();
    const entries = chain.entries.filter((entry) => entry.body.seq !== 3);

    expectFailure(verifyChain(chain.device, { entries }), { code: 'sequence-gap', seq: 4, index: 2 });
  });

  it('swapped entries are sequence-reordered at the first one out of place', () => {
    const chain = signedShift();
    const [e1, e2, e3, e4, e5] = chain.entries;
    expectFailure(verifyChain(chain.device, { entries: [e1, e2, e4, e3, e5] }), { code: 'sequence-reordered', seq: 4, index: 2 });
  });

  it('an entry moved back in the list is sequence-reordered where the earlier number reappears', () => {
    const chain = signedShift();
    const [e1, e2, e3, e4, e5] = chain.entries;
    expectFailure(verifyChain(chain.device, { entries: [e1, e2, e3, e4, e5, e2] }), { code: 'sequence-reordered', seq: 2, index: 5 });
  });

  it('a replayed entry is a sequence-duplicate', () => {
    const chain = signedShift();
    const [e1, e2, e3, e4] = chain.entries;
    expectFailure(verifyChain(chain.device, { entries: [e1, e2, e3, e3, e4] }), { code: 'sequence-duplicate', seq: 3, index: 3 });
  });

  it('two different entries with the same sequence number (a fork) are a sequence-duplicate', () => {
    const chain = signedShift();
    const fork = new TestChain(chain.deviceId);
    fork.openSession();
    fork.record();
    fork.record({ ops: [{ op: 'set', field: 'body', value: 'another version of entry 3' }] });
    expect(fork.entry(3).hash).not.toBe(chain.entry(3).hash);

    const entries = [chain.entry(1), chain.entry(2), chain.entry(3), fork.entry(3)];
    expectFailure(verifyChain(chain.device, { entries }), { code: 'sequence-duplicate', seq: 3, index: 3 });
  });

  it('an entry spliced in from a fork breaks the previous-hash link of the next one', () => {
    const chain = signedShift();
    const fork = new TestChain(chain.deviceId);
    fork.openSession();
    fork.record();
    fork.record({ ops: [{ op: 'set', field: 'body', value: 'another version of entry 3' }] });

    const entries = [chain.entry(1), chain.entry(2), fork.entry(3), chain.entry(4), chain.entry(5)];
    expectFailure(verifyChain(chain.device, { entries }), { code: 'broken-link', seq: 4, index: 3 });
  });

  it('a properly signed entry whose previous-hash points elsewhere is a broken-link', () => {
    const chain = new TestChain();
    const session = chain.openSession();
    chain.record();
    const body = chain.nextBody({ kind: 'session.close', reason: 'sign-out' });
    const relinked = { ...body, prevHash: sha256Hex('some other history') };
    chain.entries.push(signEntry(relinked, session.signer));

    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'broken-link', seq: 3, index: 2 });
  });

  it('an entry signed with the device identity key instead of a session key is signed-by-device-key', () => {
    const chain = new TestChain();
    chain.openSession();
    chain.record();
    chain.record({}, { signer: chain.deviceSigner });

    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'signed-by-device-key', seq: 3, index: 2 });
  });

  it('entries of another device are wrong-device, alone or spliced into this device’s chain', () => {
    const ours = signedShift('dev-cab-1');
    const theirs = signedShift('dev-cab-2');

    expectFailure(verifyChain(ours.device, { entries: theirs.entries }), { code: 'wrong-device', seq: 1, index: 0 });
    const spliced = [ours.entry(1), ours.entry(2), ours.entry(3), theirs.entry(4)];
    expectFailure(verifyChain(ours.device, { entries: spliced }), { code: 'wrong-device', seq: 4, index: 3 });
  });

  it('an entry that does not match the journal format is malformed', () => {
    const chain = signedShift();
    const entries: unknown[] = copyOf(chain.entries);
    delete (entries[1] as Partial<JournalEntry>).signature;

    expectFailure(verifyChain(chain.device, { entries }), { code: 'malformed', seq: 2, index: 1 });
  });
});

describe('session keys are only valid inside their own session', () => {
  it('a record before any session.open is no-session', () => {
    const chain = new TestChain();
    const uncertified = chain.newSession();
    chain.record({}, { session: uncertified });

    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'no-session', seq: 1, index: 0 });
  });

  it('an entry of session A after session B opened is a session-mismatch', () => {
    const chain = new TestChain();
    const first = chain.openSession('op-ines');
    chain.record();
    chain.openSession('op-gus');
    chain.record({}, { session: first });

    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'session-mismatch', seq: 4, index: 3 });
  });

  it('an entry claiming another operator than the session’s certificate is a session-mismatch', () => {
    const chain = new TestChain();
    const session = chain.openSession('op-ines');
    chain.record({}, { session: { ...session, operatorId: 'op-gus' } });

    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'session-mismatch', seq: 2, index: 1 });
  });

  it('an entry signed with a session key after that session.close is session-closed', () => {
    const chain = new TestChain();
    const session = chain.openSession();
    chain.record();
    // Close without destroying the key: the attack is a key copied out before sign-out.
    chain.append({ kind: 'session.close', reason: 'sign-out' });
    chain.record({}, { session });

    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'session-closed', seq: 4, index: 3 });
  });
});

describe('domain separation', () => {
  const wrongDomains = [
    ['the session-certificate domain', SIGNATURE_DOMAINS.sessionCertificate],
    ['the checkpoint domain', SIGNATURE_DOMAINS.checkpoint],
    ['a made-up domain', 'waypost/v2/journal-entry'],
    ['no domain at all', null],
  ] as const;

  it.each(wrongDomains)('an entry hash signed under %s is a bad-signature', (_label, domain) => {
    const chain = new TestChain();
    const session = chain.openSession();
    const body = chain.nextBody({
      kind: 'record',
      recordType: 'note',
      recordId: 'note-9',
      action: 'create',
      baseVersion: null,
      ops: [{ op: 'set', field: 'body', value: 'late entry' }],
    });
    const hash = hashEntryBody(body);
    const message = domain === null ? hexToBytes(hash) : domainMessage(domain, hexToBytes(hash));
    const signature = session.signer.sign(message);
    chain.entries.push({ body, hash, signature: bytesToBase64(signature) });

    // The signature itself is genuine for the message it was made over; only the domain is wrong.
    expect(verifySignature(session.signer.publicKey, message, signature)).toBe(true);
    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'bad-signature', seq: 2, index: 1 });
  });

  it('the zero byte after the tag keeps tag and payload from being re-split into another domain', () => {
    const payload = new TextEncoder().encode('x');
    expect(domainMessage('waypost/v1/checkpoint', payload)).not.toEqual(domainMessage('waypost/v1/checkpoin', new TextEncoder().encode('tx')));
  });
});

describe('non-canonical signatures', () => {
  it('S + L is accepted by raw tweetnacl but rejected by our verifier as non-canonical-signature', () => {
    const chain = signedShift();
    const entries = copyOf(chain.entries);
    const original = base64ToBytes(entries[2]!.signature);
    const malleated = malleateSignature(original);
    entries[2]!.signature = bytesToBase64(malleated);
    const message = domainMessage(SIGNATURE_DOMAINS.journalEntry, hexToBytes(entries[2]!.hash));
    const sessionKey = hexToBytes(certificateOf(chain.entry(1)).certificate.sessionPublicKey);

    expect(malleated).not.toEqual(original);
    expect(nacl.sign.detached.verify(message, malleated, sessionKey)).toBe(true);
    expect(isCanonicalSignature(malleated)).toBe(false);
    expect(verifySignature(sessionKey, message, malleated, 'tweetnacl')).toBe(false);
    expect(verifySignature(sessionKey, message, malleated, 'node')).toBe(false);
    expectFailure(verifyChain(chain.device, { entries }), { code: 'non-canonical-signature', seq: 3, index: 2 });
  });
});

describe('session certificates', () => {
  const forgeries: [string, (chain: TestChain) => void][] = [
    [
      'signed by a key that is not the device key',
      (chain) => {
        const session = chain.newSession();
        const certificate = signCertificate(chain.certificateFor(session), createSigner(seedFrom('attacker'), 'tweetnacl'));
        chain.append({ kind: 'session.open', certificate }, { session });
      },
    ],
    [
      'altered after signing to certify the attacker’s session key',
      (chain) => {
        const genuine = chain.newSession();
        const attacker = { ...genuine, signer: createSigner(seedFrom('attacker session'), 'node') };
        const certificate = signCertificate(chain.certificateFor(genuine), chain.deviceSigner);
        certificate.certificate.sessionPublicKey = Buffer.from(attacker.signer.publicKey).toString('hex');
        chain.append({ kind: 'session.open', certificate }, { session: attacker });
      },
    ],
    [
      'naming another operator than the entry',
      (chain) => {
        const session = chain.newSession('op-ines');
        const certificate = signCertificate(chain.certificateFor(session), chain.deviceSigner);
        chain.append({ kind: 'session.open', certificate }, { session: { ...session, operatorId: 'op-gus' } });
      },
    ],
    [
      'issued for another device',
      (chain) => {
        const session = chain.newSession();
        const certificate = signCertificate({ ...chain.certificateFor(session), deviceId: 'dev-cab-9' }, chain.deviceSigner);
        chain.append({ kind: 'session.open', certificate }, { session });
      },
    ],
  ];

  it.each(forgeries)('a certificate %s is a bad-certificate', (_label, forge) => {
    const chain = new TestChain();
    forge(chain);

    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'bad-certificate', seq: 1, index: 0 });
  });

  it('a genuine certificate replayed later to reopen a closed session is a bad-certificate', () => {
    const chain = new TestChain();
    const session = chain.openSession();
    chain.record();
    chain.append({ kind: 'session.close', reason: 'sign-out' });
    chain.append({ kind: 'session.open', certificate: certificateOf(chain.entry(1)) }, { session });

    expectFailure(verifyChain(chain.device, { entries: chain.entries }), { code: 'bad-certificate', seq: 4, index: 3 });
  });
});

describe('session certificates naming a weak session key', () => {
  it.each(['node', 'tweetnacl'] as const)(
    'a device-signed certificate for the identity point, with entries signed R = identity and S = 0, is a bad-certificate (%s backend)',
    (backend) => {
      const chain = forgedSessionChain('dev-weak-session');

      const verdict = verifyChain(chain.device, { entries: chain.entries }, backend);

      expectFailure(verdict, { code: 'bad-certificate', seq: 1, index: 0 });
      expect(verdict.ok ? '' : verdict.failure.message).toMatch(/session key .* weak .* small order/);
      expect(verdict.state.lastSeq).toBe(0);
    },
  );

  it('the same certificate carried by a signed checkpoint is a bad-checkpoint, and the entries after it are not trusted', () => {
    const chain = forgedSessionChain('dev-weak-checkpoint', 3);
    const checkpoint = signCheckpoint(chain.checkpointManifest(1, 2), chain.deviceSigner);

    const verdict = verifyChain(chain.device, { checkpoints: [checkpoint], entries: chain.entries.slice(2) });

    expectFailure(verdict, { code: 'bad-checkpoint', seq: 1, index: 0 });
    expect(verdict.ok ? '' : verdict.failure.message).toMatch(/session key .* weak .* small order/);
  });

  it('a start state trusting such a session cannot be had from a certificate: certifiedSession refuses it', () => {
    const chain = forgedSessionChain('dev-weak-start', 0);
    expect(certifiedSession(certificateOf(chain.entry(1)), false, chain.device)).toMatch(/session key .* weak .* small order/);
  });
});

describe('verification across checkpoints', () => {
  /** open(1) record(2..6) close(7) */
  function longShift(): TestChain {
    const chain = new TestChain();
    chain.openSession();
    for (let i = 0; i < 5; i++) chain.record();
    chain.close();
    return chain;
  }

  it('a checkpoint followed by the remaining entries verifies, mid-session', () => {
    const chain = longShift();
    const checkpoint = signCheckpoint(chain.checkpointManifest(1, 4), chain.deviceSigner);

    const verdict = verifyChain(chain.device, { checkpoints: [checkpoint], entries: chain.entries.slice(4) });

    expect(verdict).toMatchObject({ ok: true, entriesVerified: 3, state: { lastSeq: 7, head: chain.head } });
  });

  it('successive checkpoints verify, and a checkpoint can fold everything', () => {
    const chain = longShift();
    const first = signCheckpoint(chain.checkpointManifest(1, 3), chain.deviceSigner);
    const second = signCheckpoint(chain.checkpointManifest(4, 7), chain.deviceSigner);

    expect(verifyChain(chain.device, { checkpoints: [first, second], entries: [] })).toMatchObject({
      ok: true,
      state: { lastSeq: 7, head: chain.head, session: { closed: true } },
    });
  });

  it('a checkpoint remembers that its last session was closed', () => {
    const chain = new TestChain();
    const session = chain.openSession();
    chain.record();
    chain.append({ kind: 'session.close', reason: 'idle-lock' });
    chain.record({}, { session });
    const checkpoint = signCheckpoint(chain.checkpointManifest(1, 3), chain.deviceSigner);

    expectFailure(verifyChain(chain.device, { checkpoints: [checkpoint], entries: chain.entries.slice(3) }), {
      code: 'session-closed',
      seq: 4,
      index: 0,
    });
  });

  const badCheckpoints: [string, (chain: TestChain) => SignedCheckpoint, number][] = [
    ['a wrong previous head', (chain) => signCheckpoint({ ...chain.checkpointManifest(1, 4), prevHead: sha256Hex('elsewhere') }, chain.deviceSigner), 1],
    ['a range that does not start where the chain continues', (chain) => signCheckpoint(chain.checkpointManifest(2, 4), chain.deviceSigner), 2],
    [
      'a manifest altered after signing',
      (chain) => {
        const checkpoint = signCheckpoint(chain.checkpointManifest(1, 4), chain.deviceSigner);
        return { ...checkpoint, manifest: { ...checkpoint.manifest, toSeq: 3, head: chain.entry(3).hash } };
      },
      1,
    ],
    ['a signature by another key', (chain) => signCheckpoint(chain.checkpointManifest(1, 4), createSigner(seedFrom('not the device'), 'node')), 1],
    [
      'a device signature under the journal-entry domain',
      (chain) => {
        const manifest = chain.checkpointManifest(1, 4);
        const signature = signInDomain(chain.deviceSigner, SIGNATURE_DOMAINS.journalEntry, canonicalBytes(manifest));
        return { manifest, signature: bytesToBase64(signature) };
      },
      1,
    ],
    ['another device’s id', (chain) => signCheckpoint({ ...chain.checkpointManifest(1, 4), deviceId: 'dev-cab-9' }, chain.deviceSigner), 1],
  ];

  it.each(badCheckpoints)('a checkpoint with %s is a bad-checkpoint', (_label, make, fromSeq) => {
    const chain = longShift();
    const verdict = verifyChain(chain.device, { checkpoints: [make(chain)], entries: chain.entries.slice(4) });
    expectFailure(verdict, { code: 'bad-checkpoint', seq: fromSeq, index: 0 });
    expect(verdict.state.lastSeq).toBe(0);
  });

  it('a bad second checkpoint is reported with its own index and first sequence number', () => {
    const chain = longShift();
    const first = signCheckpoint(chain.checkpointManifest(1, 3), chain.deviceSigner);
    const second = signCheckpoint({ ...chain.checkpointManifest(4, 6), prevHead: chain.entry(2).hash }, chain.deviceSigner);

    const verdict = verifyChain(chain.device, { checkpoints: [first, second], entries: chain.entries.slice(6) });
    expectFailure(verdict, { code: 'bad-checkpoint', seq: 4, index: 1 });
    expect(verdict.state.lastSeq).toBe(3);
  });

  it('checkpointCoversEntries accepts the folded entries and detects a wrong Merkle root, range or previous head', () => {
    const chain = longShift();
    const folded = chain.entries.slice(0, 4);
    const honest = signCheckpoint(chain.checkpointManifest(1, 4), chain.deviceSigner);
    const reordered = [folded[1]!, folded[0]!, folded[2]!, folded[3]!];
    const wrongRoot = signCheckpoint(
      { ...chain.checkpointManifest(1, 4), merkleRoot: merkleRoot(reordered.map((entry) => entry.hash)) },
      chain.deviceSigner,
    );

    expect(checkpointCoversEntries(honest, folded)).toBeNull();
    expect(checkpointCoversEntries(wrongRoot, folded)).toBe('Merkle root does not match the entries');
    expect(checkpointCoversEntries(honest, folded.slice(0, 3))).toBe('checkpoint range and entry count differ');
    expect(checkpointCoversEntries(honest, chain.entries.slice(1, 5))).toBe('entries are not the checkpoint range');
    const relinked = signCheckpoint({ ...chain.checkpointManifest(1, 4), prevHead: sha256Hex('elsewhere') }, chain.deviceSigner);
    expect(checkpointCoversEntries(relinked, folded)).toBe('checkpoint previous head is not where the folded entries start');
  });

  it('checkpointCoversEntries detects a folded entry swapped for a fork of it', () => {
    const chain = longShift();
    const fork = new TestChain(chain.deviceId);
    fork.openSession();
    fork.record({ ops: [{ op: 'set', field: 'body', value: 'rewritten' }] });
    const checkpoint = signCheckpoint(chain.checkpointManifest(1, 4), chain.deviceSigner);
    const swapped = [chain.entry(1), fork.entry(2), chain.entry(3), chain.entry(4)];

    expect(checkpointCoversEntries(checkpoint, swapped)).toBe('Merkle root does not match the entries');
  });
});

describe('continuing from a trusted state', () => {
  it('verifies the entries after an already verified head, and only from there', () => {
    const chain = signedShift();
    const first = verifyChain(chain.device, { entries: chain.entries.slice(0, 3) });
    if (!first.ok) throw new Error('the first part should verify');

    expect(verifyChain(chain.device, { entries: chain.entries.slice(3), start: first.state })).toMatchObject({
      ok: true,
      entriesVerified: 2,
      state: { lastSeq: 5, head: chain.head },
    });
    expectFailure(verifyChain(chain.device, { entries: chain.entries.slice(3) }), { code: 'sequence-gap', seq: 4, index: 0 });
  });

  it('rejects a continuation that does not extend the trusted head', () => {
    const chain = signedShift();
    const fork = new TestChain(chain.deviceId);
    fork.openSession();
    fork.record();
    fork.record({ ops: [{ op: 'set', field: 'body', value: 'another version of entry 3' }] });
    const trusted = verifyChain(chain.device, { entries: fork.entries });
    if (!trusted.ok) throw new Error('the fork should verify on its own');

    expectFailure(verifyChain(chain.device, { entries: chain.entries.slice(3), start: trusted.state }), {
      code: 'broken-link',
      seq: 4,
      index: 0,
    });
  });
});

function certificateOf(entry: JournalEntry) {
  if (entry.body.kind !== 'session.open') throw new Error(`entry ${entry.body.seq} does not open a session`);
  return entry.body.certificate;
}
