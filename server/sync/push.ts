import { canonicalize } from '../../protocol/canonical.js';
import { SIGNATURE_DOMAINS, verifyInDomainAsync } from '../../protocol/crypto/ed25519.js';
import { hexToBytes } from '../../protocol/crypto/hash.js';
import type { JournalEntry } from '../../protocol/journal.js';
import { type ChainState, type OpenSession, verifyParsedEntry } from '../../protocol/verify.js';
import { type EntryResult, type PushRequest, type PushResponse, signAnchorReceipt } from '../../protocol/wire.js';
import type { ServiceContext } from '../app.js';
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
import { type ClockReading, effectiveTime, readDeviceClock } from './clock.js';
import { notifySites } from './notifier.js';
import { type ResolvedWrite, persistResolvedWrites } from './persist.js';
import { correctedRecordId, correctionProblem, refused, resolveRecordWrite } from './resolve.js';
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
export async function pushEntries(context: ServiceContext, device: Device, request: PushRequest, clientVersion: number): Promise<PushResponse> {
  if (request.deviceId !== device.id) {
    throw new ApiFailure(403, 'device-mismatch', `this credential belongs to device ${device.id}, not ${request.deviceId}`);
  }
  const receivedAt = context.clock.now();
  const clock = readDeviceClock(receivedAt, request.sentAt, context.config.maxClockSkewMs);
  const settled = await transactionWithRetry(context.database.db, (tx) =>
    settleBatch(tx, context, { deviceId: device.id, entries: request.entries, receivedAt, clock, clientVersion }),
  );
  if (settled.forks > 0) context.logger.warn({ deviceId: device.id, forks: settled.forks }, 'device presented a forked chain; flagged');
  return {
    results: settled.results,
    records: settled.records.map((record) => canonicalFor(record, clientVersion)),
    receipt: signAnchorReceipt({ deviceId: device.id, seq: settled.chain.lastSeq, head: settled.chain.head, serverTime: receivedAt }, context.serverSigner),
    clock: { offsetMs: clock.offsetMs, flagged: clock.flagged },
  };
}

interface Batch {
  deviceId: string;
  entries: readonly JournalEntry[];
  receivedAt: number;
  clock: ClockReading;
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
    batch.entries.map((entry) => entry.body.seq).filter((seq) => seq <= device.chainSeq),
  );

  // Verification, in order from the acknowledged chain state. Signatures are checked together on
  // the thread pool; should any fail, the batch is verified again one signature at a time, so the
  // first failing entry and the reasons of those after it are exactly those of an in-order check.
  const signatures: DeferredSignature[] = [];
  let verification = verifyBatch(device, batch, acknowledged, signatures);
  if (!(await allSignaturesValid(signatures))) verification = verifyBatch(device, batch, acknowledged, null);
  const { chain, slots, verified, canonicalBodies, flags } = verification;

  // Settlement: the conflict policies against the locked records.
  const recordEntries = verified.flatMap(({ entry }) => (entry.body.kind === 'record' ? [entry.body] : []));
  const corrected = recordEntries.flatMap((body) => {
    const id = correctedRecordId(body.recordType, body.action, body.ops);
    return id === null ? [] : [{ type: body.recordType, id }];
  });
  const current = await lockRecords(tx, [...recordEntries.map((body) => ({ type: body.recordType, id: body.recordId })), ...corrected]);
  const operatorSites = await loadOperatorSites(tx, recordEntries, current);
  const writes: ResolvedWrite[] = [];
  const journalRows: JournalEntryRow[] = [];
  for (const { index, entry } of verified) {
    const { body } = entry;
    const deviceTime = body.deviceTime;
    const entryTime = effectiveTime(deviceTime, batch.clock, batch.receivedAt);
    let result: EntryResult = { seq: body.seq, hash: entry.hash, outcome: 'accepted', acknowledged: true };
    if (body.kind === 'record') {
      const key = recordKey(body.recordType, body.recordId);
      const before = current.get(key) ?? null;
      const input = {
        recordType: body.recordType,
        recordId: body.recordId,
        action: body.action,
        ops: body.ops,
        baseVersion: body.baseVersion,
        origin: 'field' as const,
        author: { operatorId: body.operatorId, deviceId: device.id, seq: body.seq },
        effectiveTime: entryTime,
        receivedAt: batch.receivedAt,
        clientSchemaVersion: batch.clientVersion,
      };
      const badCorrection = correctionProblem(body.recordType, body.action, body.ops, (id) => current.get(recordKey(body.recordType, id)) ?? null);
      const resolution =
        operatorSites.get(body.operatorId) !== device.siteId
          ? refused('operator-not-allowed', `operator ${body.operatorId} does not work at this device's site`)
          : badCorrection
            ? refused('invalid-correction', badCorrection)
            : resolveRecordWrite(before, input, { deviceSiteId: device.siteId, operatorSite: (id) => operatorSites.get(id) });
      if (resolution.next) current.set(key, resolution.next);
      writes.push({
        input,
        resolution,
        before,
        device: { deviceId: device.id, seq: body.seq, deviceTime, gapMs: batch.receivedAt - deviceTime },
        userId: null,
        skewFlagged: batch.clock.flagged,
      });
      result = {
        ...result,
        outcome: resolution.outcome,
        ...(resolution.reason ? { reason: resolution.reason } : {}),
        ...(resolution.message ? { message: resolution.message } : {}),
        ...(resolution.fields.length > 0 ? { fields: resolution.fields } : {}),
        record: { type: body.recordType, id: body.recordId, version: (resolution.next ?? before)?.version ?? 0 },
      };
    }
    slots[index] = { result };
    journalRows.push({
      deviceId: device.id,
      seq: body.seq,
      kind: body.kind,
      hash: entry.hash,
      prevHash: body.prevHash,
      signature: entry.signature,
      body: canonicalBodies.get(index)!,
      sessionId: body.sessionId,
      operatorId: body.operatorId,
      recordType: body.kind === 'record' ? body.recordType : null,
      recordId: body.kind === 'record' ? body.recordId : null,
      deviceTime,
      receivedAt: batch.receivedAt,
      gapMs: batch.receivedAt - deviceTime,
      clockOffsetMs: batch.clock.offsetMs,
      effectiveTime: entryTime,
      skewFlagged: batch.clock.flagged,
      result,
    });
  }

  if (verified.length > 0) {
    if (batch.clock.flagged) {
      flags.push({
        deviceId: device.id,
        kind: 'clock-skew',
        seq: verified[0]!.entry.body.seq,
        detail: { offsetMs: batch.clock.offsetMs, fromSeq: verified[0]!.entry.body.seq, toSeq: verified.at(-1)!.entry.body.seq },
        createdAt: batch.receivedAt,
      });
    }
    await insertJournalEntries(tx, journalRows);
  }
  const changes = await persistResolvedWrites(tx, writes);
  await saveDeviceChain(tx, device.id, { seq: chain.lastSeq, head: chain.head, session: storedSessionOf(chain.session) }, batch.receivedAt);
  await insertDeviceFlags(tx, flags);
  await appendChanges(tx, changes);
  await notifySites(tx, context.notifier.channel, changes.map((change) => change.siteId), batch.receivedAt);

  const results = slots.map((slot) => resolveSlot(slots, slot));
  return { results, records: await touchedRecords(tx, batch.entries, current, device.siteId), chain, forks: flags.filter((flag) => flag.kind === 'fork').length };
}

interface DeferredSignature {
  sessionKey: Uint8Array;
  entryHash: Uint8Array;
  signature: Uint8Array;
}

interface Verification {
  chain: ChainState;
  slots: Slot[];
  verified: { index: number; entry: JournalEntry }[];
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
  const verified: { index: number; entry: JournalEntry }[] = [];
  const canonicalBodies = new Map<number, string>();
  const batchIndexBySeq = new Map<number, number>();
  const flags: NewDeviceFlag[] = [];
  for (const [index, entry] of batch.entries.entries()) {
    const { seq } = entry.body;
    if (entry.body.deviceId !== device.id) {
      slots.push({ result: refusal(entry, 'wrong-device', `entry belongs to device ${entry.body.deviceId}, not ${device.id}`) });
      continue;
    }
    if (seq <= chain.lastSeq) {
      const earlier = batchIndexBySeq.get(seq);
      const stored = acknowledged.get(seq);
      const storedHash = earlier !== undefined ? batch.entries[earlier]!.hash : stored?.hash;
      if (storedHash === entry.hash) {
        slots.push(earlier !== undefined ? { sameAs: earlier } : { result: stored!.result });
        continue;
      }
      slots.push({ result: refusal(entry, 'sequence-reused', `sequence number ${seq} was already acknowledged with another entry; this device's chain forked`) });
      flags.push(forkFlag(device.id, seq, batch.receivedAt, { reason: 'sequence-reused', acknowledgedHash: storedHash ?? null, presented: entry }));
      continue;
    }
    // The request schema parsed the entry already; the canonical body is hashed here and stored later.
    const canonical = canonicalize(entry.body);
    const verdict = verifyParsedEntry(chain, entry, identity, 'node', { canonicalBody: Buffer.from(canonical), checkEntrySignature });
    if (!verdict.ok) {
      slots.push({ result: refusal(entry, verdict.failure.code, verdict.failure.message) });
      if (verdict.failure.code === 'broken-link' && seq === chain.lastSeq + 1) {
        flags.push(forkFlag(device.id, seq, batch.receivedAt, { reason: 'broken-link', anchoredHead: chain.head, presented: entry }));
      }
      continue;
    }
    chain = verdict.state;
    batchIndexBySeq.set(seq, index);
    verified.push({ index, entry });
    canonicalBodies.set(index, canonical);
    slots.push({ pending: true });
  }
  return { chain, slots, verified, canonicalBodies, flags };
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

/** The canonical state of every record the request's entries name, resent or new, that the device may see. */
async function touchedRecords(
  tx: OfficeDb,
  entries: readonly JournalEntry[],
  settled: Map<string, ServerRecord>,
  siteId: string,
): Promise<ServerRecord[]> {
  const keys: RecordKey[] = entries.flatMap((entry) => (entry.body.kind === 'record' ? [{ type: entry.body.recordType, id: entry.body.recordId }] : []));
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

function refusal(entry: JournalEntry, reason: string, message: string): EntryResult {
  return { seq: entry.body.seq, hash: entry.hash, outcome: 'rejected', acknowledged: false, reason, message };
}

function forkFlag(deviceId: string, seq: number, at: number, detail: Record<string, unknown>): NewDeviceFlag {
  return { deviceId, kind: 'fork', seq, detail, createdAt: at };
}
