import { createHash } from 'node:crypto';
import {
  type CheckpointManifest,
  type DeviceIdentity,
  type EntryBody,
  type Hlc,
  type JournalEntry,
  type RecordEntryBody,
  type SessionCertificate,
  type SessionCloseReason,
  type Signer,
  type SignerBackend,
  bytesToHex,
  createSigner,
  encodeHlc,
  HLC_ZERO,
  JOURNAL_FORMAT_VERSION,
  merkleRoot,
  sha256Hex,
  signCertificate,
  signEntry,
  tickHlc,
  ZERO_HASH,
} from '../../protocol/index.js';
import type { EntryDraft, SigningSession } from '../../main/core/journal-writer.js';

/** A deterministic 32-byte seed named by a label, so every run builds the same keys. */
export function seedFrom(label: string): Uint8Array {
  return Uint8Array.from(createHash('sha256').update(label).digest());
}

/** Which session an entry claims, and which key signs it (the session's own unless a test forges). */
export interface AppendOptions {
  session?: SigningSession;
  signer?: Signer;
  /** The device clock reading the entry claims, instead of the chain's own clock (a skewed or forged clock). */
  deviceTime?: number;
}

type RecordDraft = Partial<Pick<RecordEntryBody, 'recordType' | 'recordId' | 'action' | 'baseVersion' | 'ops'>>;

/**
 * One device's journal built in memory with the real protocol functions: device key, session
 * certificates, session.open / record / session.close entries, each chained and signed like the
 * device's write path does. Tests tamper with `entries` (or sign odd entries themselves through
 * `nextBody`) and hand the result to the verifier.
 */
export class TestChain {
  readonly deviceSigner: Signer;
  readonly device: DeviceIdentity;
  readonly entries: JournalEntry[] = [];
  /** The session the next entry is signed with unless a test names another. */
  session: SigningSession | null = null;
  #clockMs = Date.UTC(2026, 10, 22, 8, 0, 0);
  #hlc: Hlc = HLC_ZERO;
  #sessionsOpened = 0;
  #recordsMade = 0;

  constructor(
    readonly deviceId = 'dev-cab-1',
    private readonly backend: SignerBackend = 'node',
  ) {
    this.deviceSigner = createSigner(seedFrom(`device:${deviceId}`), 'tweetnacl');
    this.device = { deviceId, devicePublicKey: this.deviceSigner.publicKey };
  }

  get lastSeq(): number {
    return this.entries.at(-1)?.body.seq ?? 0;
  }

  get head(): string {
    return this.entries.at(-1)?.hash ?? ZERO_HASH;
  }

  entry(seq: number): JournalEntry {
    const found = this.entries.find((entry) => entry.body.seq === seq);
    if (!found) throw new Error(`the test chain has no entry ${seq}`);
    return found;
  }

  /** The next entry's body, chained to the current head; nothing is signed or appended. */
  nextBody(draft: EntryDraft, session: Pick<SigningSession, 'sessionId' | 'operatorId'> = this.#requireSession()): EntryBody {
    this.#clockMs += 1000;
    this.#hlc = tickHlc(this.#hlc, this.#clockMs);
    return {
      v: JOURNAL_FORMAT_VERSION,
      deviceId: this.deviceId,
      seq: this.lastSeq + 1,
      prevHash: this.head,
      sessionId: session.sessionId,
      operatorId: session.operatorId,
      deviceTime: this.#clockMs,
      hlc: encodeHlc(this.#hlc),
      ...draft,
    } as EntryBody;
  }

  /** Signs the next entry (with the session's key unless another signer is named) and appends it. */
  append(draft: EntryDraft, options: AppendOptions = {}): JournalEntry {
    const session = options.session ?? this.#requireSession();
    const body = this.nextBody(draft, session);
    const entry = signEntry(options.deviceTime === undefined ? body : { ...body, deviceTime: options.deviceTime }, options.signer ?? session.signer);
    this.entries.push(entry);
    return entry;
  }

  /** A fresh session key pair (not yet certified or journaled). */
  newSession(operatorId = 'op-ines'): SigningSession {
    this.#sessionsOpened++;
    const sessionId = `ses-${this.#sessionsOpened}`;
    return { sessionId, operatorId, signer: createSigner(seedFrom(`${this.deviceId}:${sessionId}`), this.backend) };
  }

  /** The certificate the device key would sign for `session` opening at the next sequence number. */
  certificateFor(session: SigningSession): SessionCertificate {
    return {
      v: JOURNAL_FORMAT_VERSION,
      deviceId: this.deviceId,
      sessionId: session.sessionId,
      operatorId: session.operatorId,
      sessionPublicKey: bytesToHex(session.signer.publicKey),
      startedAt: this.#clockMs + 1000,
      prevChainHead: this.head,
      firstSeq: this.lastSeq + 1,
    };
  }

  /** Signs an operator in: certificate by the device key, session.open entry by the session key. */
  openSession(operatorId = 'op-ines'): SigningSession {
    const session = this.newSession(operatorId);
    const certificate = signCertificate(this.certificateFor(session), this.deviceSigner);
    this.append({ kind: 'session.open', certificate }, { session });
    this.session = session;
    return session;
  }

  /** A record action in the current session; by default a new note. */
  record(draft: RecordDraft = {}, options: AppendOptions = {}): JournalEntry {
    this.#recordsMade++;
    const ops: RecordEntryBody['ops'] = [
      { op: 'set', field: 'subjectType', value: 'workOrder' },
      { op: 'set', field: 'subjectId', value: 'wo-1' },
      { op: 'set', field: 'body', value: `observation ${this.#recordsMade}` },
    ];
    const recordId = `note-${this.#recordsMade}`;
    return this.append({ kind: 'record', recordType: 'note', recordId, action: 'create', baseVersion: null, ops, ...draft }, options);
  }

  /** Ends the current session with a signed session.close entry and destroys its key. */
  close(reason: SessionCloseReason = 'sign-out'): JournalEntry {
    const session = this.#requireSession();
    const entry = this.append({ kind: 'session.close', reason });
    session.signer.destroy();
    this.session = null;
    return entry;
  }

  /** An unsigned checkpoint manifest folding entries fromSeq..toSeq, as the device's compaction writes it. */
  checkpointManifest(fromSeq: number, toSeq: number): CheckpointManifest {
    const folded = this.entries.filter((entry) => entry.body.seq >= fromSeq && entry.body.seq <= toSeq);
    const hashes = folded.map((entry) => entry.hash);
    const upTo = this.entries.filter((entry) => entry.body.seq <= toSeq);
    const lastOpen = upTo.findLast((entry) => entry.body.kind === 'session.open');
    const session =
      lastOpen?.body.kind === 'session.open'
        ? {
            certificate: lastOpen.body.certificate,
            closed: upTo.some((entry) => entry.body.kind === 'session.close' && entry.body.seq > lastOpen.body.seq),
          }
        : null;
    return {
      v: JOURNAL_FORMAT_VERSION,
      deviceId: this.deviceId,
      fromSeq,
      toSeq,
      prevHead: this.entry(fromSeq).body.prevHash,
      head: this.entry(toSeq).hash,
      merkleRoot: merkleRoot(hashes),
      // The verifier does not read the state hash; a digest of the folded hashes stands in for it.
      stateHash: sha256Hex(hashes.join('')),
      session,
      createdAt: this.#clockMs,
    };
  }

  #requireSession(): SigningSession {
    if (!this.session) throw new Error('the test chain has no open session; call openSession() first');
    return this.session;
  }
}

const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/**
 * The same signature with S replaced by S + L (L the Ed25519 group order): still a solution of the
 * verification equation, so a lax verifier accepts it, but a second encoding of one signature.
 */
export function malleateSignature(signature: Uint8Array): Uint8Array {
  const out = signature.slice();
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(out[i]!);
  s += GROUP_ORDER;
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}
