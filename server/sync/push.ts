import { CanonicalEncodingError, canonicalize } from '../../protocol/canonical.js';
import { correctedRecordId, correctionProblem } from '../../protocol/corrections.js';
import { SIGNATURE_DOMAINS, verifyInDomainAsync } from '../../protocol/crypto/ed25519.js';
import { hexToBytes } from '../../protocol/crypto/hash.js';
import type { FieldOperation, JournalEnvelope } from '../../protocol/journal.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import { type ChainState, type OpenSession, verifyParsedEntry } from '../../protocol/verify.js';
import { type DeviceClockReading, type EntryTimeFlag, type TimePolicy, nextAnchoredTime, placeEntry, readDeviceClock } from '../../protocol/time.js';
import { type EntryResult, type PushRequest, type PushResponse, leanResults, signAnchorReceipt, unlinkEntries } from '../../protocol/wire.js';
import type { OfficeFaults, ServiceContext } from '../context.js';
import { assertNotRevoked } from '../auth.js';
import type { OfficeDb } from '../db/connect.js';
import { transactionWithRetry } from '../db/retry.js';
import { appendChanges } from '../db/queries/changes.js';
import { type NewDeviceFlag, insertDeviceFlags } from '../db/queries/flags.js';
import { type Device, findOperatorsByIds, lockDevice } from '../db/queries/identity.js';
import { type JournalEntryRow, type StoredEntry, findStoredEntries, insertJournalEntries, saveDeviceChain } from '../db/queries/journal.js';
import { type RecordKey, findRecords, lockRecords, recordKey } from '../db/queries/records.js';
import type { ServerRecord, StoredSession } from '../db/schema.js';
import { ApiFailure } from '../errors.js';
import { canonicalFor } from './canonical.js';
import { notifySites } from './notifier.js';
import { type ResolvedWrite, persistResolvedWrites } from './persist.js';
import { type PushedEntry, type ReadableEntry, readPushedEntries } from './read-entries.js';
import { refused, resolveRecordWrite } from './resolve.js';
import { assigneesIn } from './scope.js';

/**
 * Push: a device's batch of signed journal entries, in one transaction.
 *
 * 1. The device row is locked (one push per device at a time) and its acknowledged chain read.
 * 2. Each entry at or below the acknowledged sequence is a resend: the same hash gets the stored
 *    result again; a different hash is a fork (`sequence-reused`) and flags the device. Each new
 *    entry is checked by the shared verifier from the chain state; one that fails is refused with
 *    the verifier's reason and not stored, and one that fails to extend the anchored head
 *    (`broken-link` right after it) also flags the device.
 * 3. Verified record entries are settled by the conflict policies against the locked records.
 * 4. Entries, write history, versions, records, chain state and flags are written; change-feed ids
 *    are taken last; the NOTIFY is delivered by Postgres on commit.
 */
export async function pushEntries(
  context: ServiceContext,
  device: Device,
  request: PushRequest,
  clientVersion: number,
  receivedAt: number,
): Promise<PushResponse> {
  if (request.deviceId !== device.id) {
    throw new ApiFailure(403, 'device-mismatch', `this credential belongs to device ${device.id}, not ${request.deviceId}`);
  }
  const timePolicy = timePolicyOf(context);
  const clock = readDeviceClock({ sentAt: request.sentAt, receivedAt, sample: request.clockSample }, timePolicy);
  const entries = readPushedEntries(unlinkEntries(request.entries));
  const settle = (tx: OfficeDb) => settleBatch(tx, context, { deviceId: device.id, entries, receivedAt, clock, timePolicy, clientVersion });
  const settled = context.faults?.acknowledgeBeforeCommit
    ? await settledBeforeCommit(context.database.db, settle)
    : await transactionWithRetry(context.database.db, settle);
  if (settled.forks > 0) context.logger.warn({ deviceId: device.id, forks: settled.forks }, 'device presented a forked chain; flagged');
  return {
    results: request.leanAnswer ? leanResults(settled.results) : settled.results,
    records: settled.records.map((record) => canonicalFor(record, clientVersion)),
    receipt: signAnchorReceipt({ deviceId: device.id, seq: settled.chain.lastSeq, head: settled.chain.head, serverTime: receivedAt }, context.serverSigner),
    time: { receivedAt, repliedAt: Math.max(receivedAt, context.clock.now()) },
    clock: { correctionMs: clock.correctionMs, flag: clock.flag },
  };
}

/** The planted bug `acknowledgeBeforeCommit`: the answer leaves while the transaction still has to commit. */
function settledBeforeCommit<T>(db: OfficeDb, work: (tx: OfficeDb) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    db.transaction(async (tx) => {
      const settled = await work(tx);
      resolve(settled);
      return settled;
    }).catch(reject);
  });
}

const DEFAULT_CLOCK_TOLERANCE_MS = 2_000;

function timePolicyOf(context: ServiceContext): TimePolicy {
  return { maxSkewMs: context.config.maxClockSkewMs, toleranceMs: context.config.clockToleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS };
}

interface Batch {
  deviceId: string;
  entries: readonly PushedEntry[];
  receivedAt: number;
  clock: DeviceClockReading;
  timePolicy: TimePolicy;
  clientVersion: number;
}

interface Settled {
  results: EntryResult[];
  records: ServerRecord[];
  chain: ChainState;
  forks: number;
}

/** A result slot: settled now, or the same as an earlier entry of this batch once that one settles. */
type Slot = { result: EntryResult } | { sameAs: number } | { pending: true };

async function settleBatch(tx: OfficeDb, context: ServiceContext, batch: Batch): Promise<Settled> {
  const device = await lockDevice(tx, batch.deviceId);
  if (!device) throw new ApiFailure(401, 'unauthorized', `device ${batch.deviceId} is not enrolled`);
  assertNotRevoked(device);
  const acknowledged = await findStoredEntries(
    tx,
    device.id,
    batch.entries.map((pushed) => ('entry' in pushed ? pushed.entry.body.seq : pushed.unreadable.seq)).filter((seq) => seq <= device.chainSeq),
  );

  // Verification, in order from the acknowledged chain state. Signatures are checked together on
  // the thread pool while the batch is settled against the locked records (nothing is written
  // before both are done); should any fail, the batch is verified again one signature at a time, so
  // the first failing entry and the reasons of those after it are exactly those of an in-order
  // check, and settled again from the records as they are.
  const signatures: DeferredSignature[] = [];
  let verification = verifyBatch(device, batch, acknowledged, signatures);
  const signaturesChecked = allSignaturesValid(signatures);
  let settlement = await settleVerified(tx, context, batch, device, verification);
  if (!(await signaturesChecked)) {
    verification = verifyBatch(device, batch, acknowledged, null);
    settlement = await settleVerified(tx, context, batch, device, verification);
  }
  const { chain, slots, verified, flags } = verification;
  const { current, writes, journalRows, timeFlags, anchoredTime } = settlement;

  if (verified.length > 0) {
    flags.push(...timeFlagsOf(device.id, batch, timeFlags));
    await insertJournalEntries(tx, journalRows);
  }
  const changes = await persistResolvedWrites(tx, writes);
  await saveDeviceChain(tx, device.id, { seq: chain.lastSeq, head: chain.head, session: storedSessionOf(chain.session), anchoredTime }, { at: batch.receivedAt, clockOffsetMs: batch.clock.correctionMs });
  await insertDeviceFlags(tx, flags);
  await appendChanges(tx, changes);
  await notifySites(tx, context.notifier.channel, changes.map((change) => change.siteId), batch.receivedAt, device.id);

  const results = slots.map((slot) => resolveSlot(slots, slot));
  return { results, records: await touchedRecords(tx, recordKeysOf(batch.entries), current, device.siteId), chain, forks: flags.filter((flag) => flag.kind === 'fork').length };
}

interface Settlement {
  /** The locked records as the batch leaves them. */
  current: Map<string, ServerRecord>;
  writes: ResolvedWrite[];
  journalRows: JournalEntryRow[];
  timeFlags: { seq: number; flag: EntryTimeFlag }[];
  anchoredTime: Device['anchoredTime'];
}

/**
 * Settles the verified entries of a batch against their locked records, in order: each entry's
 * place in time, the conflict policies' decision for record entries, the journal row to store.
 * Fills the verification's result slots; writes nothing.
 */
async function settleVerified(tx: OfficeDb, context: ServiceContext, batch: Batch, device: Device, verification: Verification): Promise<Settlement> {
  const { slots, verified, canonicalBodies } = verification;
  const settling = [...verified, ...settledAgain(context.faults, verification.resent)];

  // Settlement: the conflict policies against the locked records, for entries whose content is valid.
  const recordEntries = verified.flatMap(({ entry, contentProblem }) => (entry.body.kind === 'record' && !contentProblem ? [entry.body] : []));
  const corrected = recordEntries.flatMap((body) => {
    const id = correctedRecordId(recordTypeSpec(body.recordType), body.action, body.ops);
    return id === null ? [] : [{ type: body.recordType, id }];
  });
  const current = await lockRecords(tx, [...recordEntries.map((body) => ({ type: body.recordType, id: body.recordId })), ...corrected]);
  const operatorSites = await loadOperatorSites(tx, recordEntries, current);
  const writes: ResolvedWrite[] = [];
  const journalRows: JournalEntryRow[] = [];
  const timeFlags: { seq: number; flag: EntryTimeFlag }[] = [];
  let anchoredTime = device.anchoredTime;
  for (const { index, again, ...read } of settling) {
    const { body } = read.entry;
    const deviceTime = body.deviceTime;
    const placed = placeEntry(deviceTime, batch.clock, { anchoredTime, receivedAt: batch.receivedAt }, batch.timePolicy);
    anchoredTime = nextAnchoredTime(anchoredTime, placed);
    if (placed.flag) timeFlags.push({ seq: body.seq, flag: placed.flag });
    const entryTime = placed.effectiveTime;
    let result: EntryResult = { seq: body.seq, hash: read.entry.hash, outcome: 'accepted', acknowledged: true };
    if (read.contentProblem) {
      // Chained and kept verbatim in the device's trail; nothing of it reaches a record.
      result = { ...result, outcome: 'rejected', reason: read.contentProblem.reason, message: read.contentProblem.message };
    } else if (read.entry.body.kind === 'record') {
      const body = read.entry.body;
      const key = recordKey(body.recordType, body.recordId);
      const before = current.get(key) ?? null;
      const input = {
        recordType: body.recordType,
        recordId: body.recordId,
        action: body.action,
        ops: again === 'increments' ? body.ops.filter((op) => op.op === 'increment') : body.ops,
        baseVersion: body.baseVersion,
        origin: 'field' as const,
        author: { operatorId: body.operatorId, deviceId: device.id, seq: body.seq },
        effectiveTime: entryTime,
        receivedAt: batch.receivedAt,
        clientSchemaVersion: batch.clientVersion,
      };
      const spec = recordTypeSpec(body.recordType);
      const correctedId = correctedRecordId(spec, body.action, body.ops);
      const badCorrection = spec && correctedId !== null ? correctionProblem(spec, correctedId, current.get(recordKey(body.recordType, correctedId)) ?? null) : null;
      const resolution =
        operatorSites.get(body.operatorId) !== device.siteId
          ? refused('operator-not-allowed', `operator ${body.operatorId} does not work at this device's site`)
          : badCorrection
            ? refused('invalid-correction', badCorrection)
            : resolveRecordWrite(before, input, { deviceSiteId: device.siteId, operatorSite: (id) => operatorSites.get(id), faults: context.faults });
      if (resolution.next) current.set(key, resolution.next);
      if (!resolution.outsideRecord) {
        writes.push({
          input,
          resolution,
          before,
          device: { deviceId: device.id, seq: body.seq, deviceTime, gapMs: batch.receivedAt - deviceTime },
          userId: null,
          skewFlagged: placed.flag !== null,
        });
      }
      result = {
        ...result,
        outcome: resolution.outcome,
        ...(resolution.reason ? { reason: resolution.reason } : {}),
        ...(resolution.message ? { message: resolution.message } : {}),
        ...(resolution.fields.length > 0 ? { fields: resolution.fields } : {}),
        ...(resolution.outsideRecord ? {} : { record: { type: body.recordType, id: body.recordId, version: (resolution.next ?? before)?.version ?? 0 } }),
      };
    }
    if (again) continue;
    slots[index] = { result };
    journalRows.push({
      deviceId: device.id,
      seq: body.seq,
      kind: body.kind,
      hash: read.entry.hash,
      prevHash: body.prevHash,
      signature: read.entry.signature,
      body: canonicalBodies.get(index)!,
      sessionId: body.sessionId,
      operatorId: body.operatorId,
      recordType: body.kind === 'record' ? body.recordType : null,
      recordId: body.kind === 'record' ? body.recordId : null,
      deviceTime,
      receivedAt: batch.receivedAt,
      gapMs: batch.receivedAt - deviceTime,
      clockOffsetMs: batch.clock.correctionMs,
      effectiveTime: entryTime,
      skewFlagged: placed.flag !== null,
      result,
    });
  }
  return { current, writes, journalRows, timeFlags, anchoredTime };
}

/**
 * One device flag per push whose times were not trusted: the whole clock (`clock-skew`, with how
 * the office bounded it), or the entries outside their bounds (`entry-time`, each with its reason).
 */
function timeFlagsOf(deviceId: string, batch: Batch, flagged: readonly { seq: number; flag: EntryTimeFlag }[]): NewDeviceFlag[] {
  const first = flagged[0];
  if (!first) return [];
  const { bounds, correctionMs, flag } = batch.clock;
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  const detail = flag
    ? { reason: flag, correctionMs, bounds: { min: finite(bounds.min), max: finite(bounds.max) }, fromSeq: first.seq, toSeq: flagged.at(-1)!.seq }
    : { entries: flagged.map(({ seq, flag: reason }) => ({ seq, reason })), correctionMs, receivedAt: batch.receivedAt };
  return [{ deviceId, kind: flag ? 'clock-skew' : 'entry-time', seq: first.seq, detail, createdAt: batch.receivedAt }];
}

interface DeferredSignature {
  sessionKey: Uint8Array;
  entryHash: Uint8Array;
  signature: Uint8Array;
}

type Settling = ReadableEntry & { index: number; again?: 'whole' | 'increments' };

/**
 * The planted bugs on resends: entries the office holds already, settled again whole
 * (`resendCountedTwice`) or for their increments (`counterIncrementOnResend`).
 */
function settledAgain(faults: OfficeFaults | undefined, resent: readonly Settling[]): Settling[] {
  const records = resent.filter(({ entry, contentProblem }) => !contentProblem && entry.body.kind === 'record');
  if (faults?.resendCountedTwice) return records.map((read) => ({ ...read, again: 'whole' }));
  if (!faults?.counterIncrementOnResend) return [];
  const counting = records.filter(({ entry }) => readableOps(entry).some((op) => op.op === 'increment'));
  return counting.map((read) => ({ ...read, again: 'increments' }));
}

function readableOps(entry: JournalEnvelope): readonly FieldOperation[] {
  return entry.body.kind === 'record' ? (entry.body.ops as readonly FieldOperation[]) : [];
}

interface Verification {
  chain: ChainState;
  slots: Slot[];
  verified: Settling[];
  /** Entries the office held already, answered with their stored results. */
  resent: Settling[];
  /** The canonical body of each verified entry, by batch index: what was hashed, and what is stored. */
  canonicalBodies: Map<number, string>;
  flags: NewDeviceFlag[];
}

/**
 * Verifies the batch in order from the device's acknowledged chain (pure). With `deferred`, the
 * entries' session signatures are collected there instead of checked; the caller must check them.
 */
function verifyBatch(device: Device, batch: Batch, acknowledged: Map<number, StoredEntry>, deferred: DeferredSignature[] | null): Verification {
  const identity = { deviceId: device.id, devicePublicKey: hexToBytes(device.publicKey) };
  const checkEntrySignature = deferred
    ? (sessionKey: Uint8Array, entryHash: Uint8Array, signature: Uint8Array) => deferred.push({ sessionKey, entryHash, signature }) > 0
    : undefined;
  let chain = chainStateOf(device);
  const slots: Slot[] = [];
  const verified: Settling[] = [];
  const resent: Settling[] = [];
  const canonicalBodies = new Map<number, string>();
  const batchIndexBySeq = new Map<number, number>();
  const flags: NewDeviceFlag[] = [];
  for (const [index, pushed] of batch.entries.entries()) {
    if ('unreadable' in pushed) {
      const { seq, hash, message } = pushed.unreadable;
      slots.push({ result: { seq, hash, outcome: 'rejected', acknowledged: false, reason: 'malformed', message } });
      continue;
    }
    const { entry } = pushed;
    const { seq } = entry.body;
    if (entry.body.deviceId !== device.id) {
      slots.push({ result: refusal(entry, 'wrong-device', `entry belongs to device ${entry.body.deviceId}, not ${device.id}`) });
      continue;
    }
    if (seq <= chain.lastSeq) {
      const earlier = batchIndexBySeq.get(seq);
      const stored = acknowledged.get(seq);
      const storedHash = earlier !== undefined ? verified.find((item) => item.index === earlier)!.entry.hash : stored?.hash;
      if (storedHash === entry.hash) {
        slots.push(earlier !== undefined ? { sameAs: earlier } : { result: stored!.result });
        if (earlier === undefined) resent.push({ index, ...pushed });
        continue;
      }
      slots.push({ result: refusal(entry, 'sequence-reused', `sequence number ${seq} was already acknowledged with another entry; this device's chain forked`) });
      flags.push(forkFlag(device.id, seq, batch.receivedAt, { reason: 'sequence-reused', acknowledgedHash: storedHash ?? null, presented: presentedEntry(entry) }));
      continue;
    }
    // The envelope was parsed already; the canonical body is hashed here and stored later.
    const canonical = canonicalBody(entry);
    if (canonical === null) {
      slots.push({ result: refusal(entry, 'malformed', 'entry holds a value with no canonical encoding (a number JSON cannot carry)') });
      continue;
    }
    const verdict = verifyParsedEntry(chain, entry, identity, 'node', { canonicalBody: Buffer.from(canonical), checkEntrySignature });
    if (!verdict.ok) {
      slots.push({ result: refusal(entry, verdict.failure.code, verdict.failure.message) });
      if (verdict.failure.code === 'broken-link' && seq === chain.lastSeq + 1) {
        flags.push(forkFlag(device.id, seq, batch.receivedAt, { reason: 'broken-link', anchoredHead: chain.head, presented: presentedEntry(entry) }));
      }
      continue;
    }
    chain = verdict.state;
    batchIndexBySeq.set(seq, index);
    verified.push({ index, ...pushed });
    canonicalBodies.set(index, canonical);
    slots.push({ pending: true });
  }
  return { chain, slots, verified, resent, canonicalBodies, flags };
}

async function allSignaturesValid(signatures: readonly DeferredSignature[]): Promise<boolean> {
  const checks = await Promise.all(
    signatures.map(({ sessionKey, entryHash, signature }) => verifyInDomainAsync(sessionKey, SIGNATURE_DOMAINS.journalEntry, entryHash, signature)),
  );
  return checks.every(Boolean);
}

function resolveSlot(slots: readonly Slot[], slot: Slot): EntryResult {
  if ('result' in slot) return slot.result;
  if ('sameAs' in slot) return resolveSlot(slots, slots[slot.sameAs]!);
  throw new Error('an entry was verified but never settled');
}

function chainStateOf(device: Device): ChainState {
  const stored = device.chainSession;
  const session: OpenSession | null = stored
    ? {
        sessionId: stored.certificate.certificate.sessionId,
        operatorId: stored.certificate.certificate.operatorId,
        publicKey: hexToBytes(stored.certificate.certificate.sessionPublicKey),
        certificate: stored.certificate,
        closed: stored.closed,
      }
    : null;
  return { lastSeq: device.chainSeq, head: device.chainHead, session };
}

function storedSessionOf(session: OpenSession | null): StoredSession | null {
  return session ? { certificate: session.certificate, closed: session.closed } : null;
}

/** Sites of the entries' operators and of every assignee the entries or their records name. */
async function loadOperatorSites(
  tx: OfficeDb,
  bodies: readonly { operatorId: string; recordType: string; ops: readonly unknown[] }[],
  records: Map<string, ServerRecord>,
): Promise<Map<string, string>> {
  const ids = new Set(bodies.map((body) => body.operatorId));
  for (const body of bodies) {
    const written = body.ops.flatMap((op) => {
      const set = op as { op: string; field: string; value?: unknown };
      return set.op === 'set' ? [{ [set.field]: set.value }] : [];
    });
    for (const id of assigneesIn(body.recordType, written)) ids.add(id);
  }
  for (const record of records.values()) for (const id of assigneesIn(record.type, [record.fields])) ids.add(id);
  const operators = await findOperatorsByIds(tx, [...ids]);
  return new Map(operators.map((operator) => [operator.id, operator.siteId]));
}

/** The records the request's well-formed record entries name, resent or new. */
function recordKeysOf(entries: readonly PushedEntry[]): RecordKey[] {
  return entries.flatMap((pushed) =>
    'entry' in pushed && !pushed.contentProblem && pushed.entry.body.kind === 'record' ? [{ type: pushed.entry.body.recordType, id: pushed.entry.body.recordId }] : [],
  );
}

/** The canonical state of every record of `keys` that the device may see. */
async function touchedRecords(tx: OfficeDb, keys: readonly RecordKey[], settled: Map<string, ServerRecord>, siteId: string): Promise<ServerRecord[]> {
  const missing = keys.filter((key) => !settled.has(recordKey(key.type, key.id)));
  const loaded = await findRecords(tx, missing);
  const byKey = new Map([...loaded, ...settled]);
  const seen = new Set<string>();
  const touched: ServerRecord[] = [];
  for (const key of keys) {
    const id = recordKey(key.type, key.id);
    const record = byKey.get(id);
    if (record && !seen.has(id) && record.audience.includes(siteId)) {
      seen.add(id);
      touched.push(record);
    }
  }
  return touched;
}

function refusal(entry: JournalEnvelope, reason: string, message: string): EntryResult {
  return { seq: entry.body.seq, hash: entry.hash, outcome: 'rejected', acknowledged: false, reason, message };
}

/** What a device hashed and signed, as text: what no text may hold stays escaped, so it can be stored. */
function canonicalBody(entry: JournalEnvelope): string | null {
  try {
    return canonicalize(entry.body);
  } catch (error) {
    if (error instanceof CanonicalEncodingError) return null;
    throw error;
  }
}

/** A presented entry kept as evidence of a fork, as canonical text (see canonicalBody). */
function presentedEntry(entry: JournalEnvelope): string | null {
  const body = canonicalBody(entry);
  return body === null ? null : `{"body":${body},"hash":"${entry.hash}","signature":"${entry.signature}"}`;
}

function forkFlag(deviceId: string, seq: number, at: number, detail: Record<string, unknown>): NewDeviceFlag {
  return { deviceId, kind: 'fork', seq, detail, createdAt: at };
}
