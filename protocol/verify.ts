import { type SignedCheckpoint, checkpointManifestSchema, verifyCheckpointSignature } from './checkpoint.js';
import { SIGNATURE_DOMAINS, isCanonicalSignature, publicKeyProblem, verifyInDomain, type SignerBackend } from './crypto/ed25519.js';
import { ZERO_HASH, base64ToBytes, hexToBytes, sha256Hex } from './crypto/hash.js';
import {
  type JournalEntry,
  type SignedCertificate,
  hashEntryBody,
  type JournalEnvelope,
  journalEnvelopeSchema,
  verifyCertificateSignature,
} from './journal.js';
import { merkleRoot } from './merkle.js';

/**
 * Verification of one device's signed, hash-chained journal. The same code runs on the device (self
 * check, tests), on the office server (every push) and in the auditor's offline CLI, and it reports
 * the first entry that fails and exactly why.
 */
export type ChainFailureCode =
  | 'malformed'
  | 'wrong-device'
  | 'sequence-duplicate'
  | 'sequence-reordered'
  | 'sequence-gap'
  | 'broken-link'
  | 'hash-mismatch'
  | 'non-canonical-signature'
  | 'signed-by-device-key'
  | 'bad-signature'
  | 'no-session'
  | 'session-closed'
  | 'session-mismatch'
  | 'bad-certificate'
  | 'bad-checkpoint';

export interface ChainFailure {
  code: ChainFailureCode;
  /** Sequence number of the failing entry (or the checkpoint's first), when it could be read. */
  seq: number | null;
  /** Position of the failing item in the list given to the verifier. */
  index: number;
  message: string;
}

export interface DeviceIdentity {
  deviceId: string;
  devicePublicKey: Uint8Array;
}

export interface OpenSession {
  sessionId: string;
  operatorId: string;
  publicKey: Uint8Array;
  certificate: SignedCertificate;
  closed: boolean;
}

/** Everything needed to verify the entry after `lastSeq`. */
export interface ChainState {
  lastSeq: number;
  head: string;
  session: OpenSession | null;
}

export const GENESIS_STATE: ChainState = { lastSeq: 0, head: ZERO_HASH, session: null };

export type EntryVerdict = { ok: true; state: ChainState } | { ok: false; failure: Omit<ChainFailure, 'index'> };

export function verifyNextEntry(
  state: ChainState,
  candidate: unknown,
  device: DeviceIdentity,
  backend: SignerBackend = 'node',
): EntryVerdict {
  // The chain is checked on the envelope: an entry the office refused for its content is still a
  // link of the chain, signed by its author, and must verify as one.
  const parsed = journalEnvelopeSchema.safeParse(candidate);
  if (!parsed.success) {
    const seq = readSeq(candidate);
    return fail('malformed', seq, `entry does not match the journal format: ${parsed.error.issues[0]?.message ?? ''}`.trim());
  }
  return verifyParsedEntry(state, parsed.data, device, backend);
}

/** For callers that verify many entries and already hold parts of the work (see verifyParsedEntry). */
export interface ParsedEntryOptions {
  /** The entry body's canonical bytes, when the caller made them anyway (they are hashed here, not trusted). */
  canonicalBody?: Uint8Array;
  /**
   * Checks the entry's signature by the session key; by default at once. A caller may collect the
   * checks and run them later (in a batch, off its thread) by answering true here, provided it
   * then verifies again without this option when any collected check fails.
   */
  checkEntrySignature?: (sessionKey: Uint8Array, entryHash: Uint8Array, signature: Uint8Array) => boolean;
}

/** verifyNextEntry for an entry that already passed the journal envelope schema. */
export function verifyParsedEntry(
  state: ChainState,
  entry: JournalEnvelope,
  device: DeviceIdentity,
  backend: SignerBackend = 'node',
  options: ParsedEntryOptions = {},
): EntryVerdict {
  const { body } = entry;
  const seq = body.seq;

  if (body.deviceId !== device.deviceId) {
    return fail('wrong-device', seq, `entry belongs to device ${body.deviceId}, not ${device.deviceId}`);
  }
  const expectedSeq = state.lastSeq + 1;
  if (seq === state.lastSeq) return fail('sequence-duplicate', seq, `sequence number ${seq} was already used`);
  if (seq < expectedSeq) return fail('sequence-reordered', seq, `sequence number ${seq} comes after ${state.lastSeq}`);
  if (seq > expectedSeq) return fail('sequence-gap', seq, `expected sequence number ${expectedSeq}, found ${seq}`);
  if (body.prevHash !== state.head) {
    return fail('broken-link', seq, `previous-hash ${short(body.prevHash)} does not match chain head ${short(state.head)}`);
  }
  if ((options.canonicalBody ? sha256Hex(options.canonicalBody) : hashEntryBody(body)) !== entry.hash) {
    return fail('hash-mismatch', seq, 'entry content does not match its hash (edited after signing)');
  }
  const signature = base64ToBytes(entry.signature);
  if (!isCanonicalSignature(signature)) {
    return fail('non-canonical-signature', seq, 'signature scalar is not reduced (malleated signature)');
  }

  let session = state.session;
  if (body.kind === 'session.open') {
    const opened = openSession(body.certificate, body, device, backend);
    if (typeof opened === 'string') return fail('bad-certificate', seq, opened);
    session = opened;
  } else {
    if (!session) return fail('no-session', seq, 'entry is not inside any signed-in session');
    if (body.sessionId !== session.sessionId) {
      return fail('session-mismatch', seq, `entry claims session ${body.sessionId} but session ${session.sessionId} is in force`);
    }
    if (session.closed) return fail('session-closed', seq, `session ${session.sessionId} was already closed`);
    if (body.operatorId !== session.operatorId) {
      return fail('session-mismatch', seq, `operator ${body.operatorId} does not own session ${session.sessionId}`);
    }
  }

  const hashBytes = hexToBytes(entry.hash);
  const signedBySession = options.checkEntrySignature
    ? options.checkEntrySignature(session.publicKey, hashBytes, signature)
    : verifyInDomain(session.publicKey, SIGNATURE_DOMAINS.journalEntry, hashBytes, signature, backend);
  if (!signedBySession) {
    if (verifyInDomain(device.devicePublicKey, SIGNATURE_DOMAINS.journalEntry, hashBytes, signature, backend)) {
      return fail('signed-by-device-key', seq, 'entry is signed by the device identity key instead of a session key');
    }
    return fail('bad-signature', seq, `signature does not verify under the key of session ${session.sessionId}`);
  }
  if (body.kind === 'session.close') session = { ...session, closed: true };
  return { ok: true, state: { lastSeq: seq, head: entry.hash, session } };
}

function openSession(
  signed: SignedCertificate,
  body: { sessionId: string; operatorId: string; prevHash: string; seq: number },
  device: DeviceIdentity,
  backend: SignerBackend,
): OpenSession | string {
  const session = certifiedSession(signed, false, device, backend);
  if (typeof session === 'string') return session;
  const { certificate } = signed;
  if (certificate.sessionId !== body.sessionId || certificate.operatorId !== body.operatorId) {
    return 'certificate names another session or operator than the entry';
  }
  if (certificate.prevChainHead !== body.prevHash || certificate.firstSeq !== body.seq) {
    return 'certificate was issued for another point of the chain';
  }
  return session;
}

/**
 * The session a certificate vouches for, or why it vouches for none: it must be signed by this
 * device's key, for this device, and name a usable session key. A device key signing a weak
 * session key would otherwise let anyone sign entries in that session. Whatever takes a session
 * from a certificate (a session.open entry, a checkpoint, an audit export's start) comes here.
 */
export function certifiedSession(signed: SignedCertificate, closed: boolean, device: DeviceIdentity, backend: SignerBackend = 'node'): OpenSession | string {
  const { certificate } = signed;
  if (!verifyCertificateSignature(signed, device.devicePublicKey, backend)) {
    return 'session certificate is not signed by the device identity key';
  }
  if (certificate.deviceId !== device.deviceId) return `certificate is for device ${certificate.deviceId}`;
  const publicKey = hexToBytes(certificate.sessionPublicKey);
  const problem = publicKeyProblem(publicKey);
  if (problem) return `the session key the certificate names is weak and refused: it ${problem}`;
  return { sessionId: certificate.sessionId, operatorId: certificate.operatorId, publicKey, certificate: signed, closed };
}

export type ChainVerdict =
  | { ok: true; state: ChainState; entriesVerified: number }
  | { ok: false; failure: ChainFailure; state: ChainState; entriesVerified: number };

/**
 * Verifies checkpoints (oldest first) and then the entries after them, starting from genesis or
 * from a state the caller already trusts (for example the office's last acknowledged head).
 */
export function verifyChain(
  device: DeviceIdentity,
  input: { checkpoints?: readonly SignedCheckpoint[]; entries: readonly unknown[]; start?: ChainState },
  backend: SignerBackend = 'node',
): ChainVerdict {
  let state = input.start ?? GENESIS_STATE;
  const checkpoints = input.checkpoints ?? [];
  for (const [index, checkpoint] of checkpoints.entries()) {
    const next = applyCheckpoint(state, checkpoint, device, backend);
    if (typeof next === 'string') {
      const fromSeq = checkpointManifestSchema.safeParse(checkpoint?.manifest).data?.fromSeq ?? null;
      return { ok: false, failure: { code: 'bad-checkpoint', seq: fromSeq, index, message: next }, state, entriesVerified: 0 };
    }
    state = next;
  }
  for (const [index, entry] of input.entries.entries()) {
    const verdict = verifyNextEntry(state, entry, device, backend);
    if (!verdict.ok) {
      const failure = { ...verdict.failure, index };
      if (failure.code === 'sequence-gap' && appearsLater(input.entries, index, state.lastSeq + 1)) {
        failure.code = 'sequence-reordered';
        failure.message = `entry ${state.lastSeq + 1} appears after entry ${failure.seq}`;
      }
      return { ok: false, failure, state, entriesVerified: index };
    }
    state = verdict.state;
  }
  return { ok: true, state, entriesVerified: input.entries.length };
}

export function applyCheckpoint(
  state: ChainState,
  checkpoint: SignedCheckpoint,
  device: DeviceIdentity,
  backend: SignerBackend = 'node',
): ChainState | string {
  const manifest = checkpointManifestSchema.safeParse(checkpoint?.manifest);
  if (!manifest.success) return 'checkpoint manifest is malformed';
  const m = manifest.data;
  if (!verifyCheckpointSignature(checkpoint, device.devicePublicKey, backend)) return 'checkpoint signature is invalid';
  if (m.deviceId !== device.deviceId) return `checkpoint belongs to device ${m.deviceId}`;
  if (m.fromSeq !== state.lastSeq + 1 || m.toSeq < m.fromSeq) {
    return `checkpoint covers ${m.fromSeq}..${m.toSeq} but the chain continues at ${state.lastSeq + 1}`;
  }
  if (m.prevHead !== state.head) return 'checkpoint does not extend the chain head';
  const session = m.session ? certifiedSession(m.session.certificate, m.session.closed, device, backend) : null;
  if (typeof session === 'string') return `checkpoint carries a session certificate that does not hold: ${session}`;
  return { lastSeq: m.toSeq, head: m.head, session };
}

/** Checks a checkpoint against the entries it folded (the office or an auditor holds them). */
export function checkpointCoversEntries(checkpoint: SignedCheckpoint, entries: readonly JournalEntry[]): string | null {
  const m = checkpoint.manifest;
  if (entries.length !== m.toSeq - m.fromSeq + 1) return 'checkpoint range and entry count differ';
  if (entries.some((entry, i) => entry.body.seq !== m.fromSeq + i)) return 'entries are not the checkpoint range';
  if (entries[0]!.body.prevHash !== m.prevHead) return 'checkpoint previous head is not where the folded entries start';
  if (entries.at(-1)!.hash !== m.head) return 'checkpoint head is not the last folded entry';
  if (merkleRoot(entries.map((entry) => entry.hash)) !== m.merkleRoot) return 'Merkle root does not match the entries';
  return null;
}

function appearsLater(entries: readonly unknown[], from: number, seq: number): boolean {
  return entries.slice(from + 1).some((entry) => readSeq(entry) === seq);
}

function readSeq(candidate: unknown): number | null {
  const seq = (candidate as { body?: { seq?: unknown } } | null)?.body?.seq;
  return typeof seq === 'number' ? seq : null;
}

function fail(code: ChainFailureCode, seq: number | null, message: string): { ok: false; failure: Omit<ChainFailure, 'index'> } {
  return { ok: false, failure: { code, seq, message } };
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
