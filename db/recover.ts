import { existsSync, renameSync, rmSync } from 'node:fs';
import { getTableName } from 'drizzle-orm';
import {
  type DeviceIdentity,
  type JournalEntry,
  type RecordType,
  type SignedCheckpoint,
  applyAction,
  hexToBytes,
  RECORD_TYPE_NAMES,
  recordTypeSpec,
  verifyChain,
} from '../protocol/index.js';
import { type DeviceDb, type Sqlite, DATABASE_FILE_SUFFIXES, openDeviceDatabase, quarantineDatabaseFiles } from './open.js';
import { insertCheckpoint } from './queries/checkpoints.js';
import { appendJournalEntry } from './queries/journal.js';
import { markAcknowledged } from './queries/outbox.js';
import { type StoredRecord, writeRecord } from './queries/records.js';
import { closeSessionRow, insertSession, type OperatorRow, upsertOperator } from './queries/sessions.js';
import { device, recordTables } from './schema.js';

/**
 * Explicit recovery of a device database that no longer opens (see DatabaseUnreadableError). The
 * damaged files are kept, renamed aside; a new database is built at the original path from what
 * can still be trusted: the device identity, the checkpoints and the longest prefix of the journal
 * that verifies after them, with the records those entries produce. Nothing is guessed: records
 * the surviving entries cannot rebuild are listed for the office to send again.
 */
export interface RecoveryOptions {
  path: string;
  key: Uint8Array | null;
  /** Names the quarantined copy. */
  now: number;
  migrationsFolder?: string;
}

export interface RecordRef {
  type: RecordType;
  id: string;
}

export interface RecoveryReport {
  /** Where the damaged files now are (the database file; its -wal/-shm carry the same name plus suffix). */
  quarantinedTo: string;
  /** Null when the device identity could not be read: nothing could be verified, and the device needs re-enrolling. */
  deviceId: string | null;
  checkpoints: number;
  salvagedEntries: number;
  /** The chain position the new database continues from (0: nothing survived). */
  lastSalvagedSeq: number;
  /** First sequence number known or suspected to be lost; null when the whole journal survived. */
  lostFromSeq: number | null;
  rebuiltRecords: number;
  /** Records the device had that the salvaged entries cannot rebuild: to be fetched again from the office. */
  toRefetch: RecordRef[];
  /** What could not be read, for the support log. */
  problems: string[];
}

export class NothingToRecoverError extends Error {
  constructor(readonly path: string) {
    super(`device database ${path} opens and passes its integrity check: there is nothing to recover`);
    this.name = 'NothingToRecoverError';
  }
}

export function recoverDeviceDatabase(options: RecoveryOptions): RecoveryReport {
  const { path, key, now, migrationsFolder } = options;
  if (!existsSync(path)) throw new Error(`there is no device database at ${path} to recover`);
  refuseHealthyDatabase(path, key);

  // Salvage reads the damaged file read-only where it lies and builds the new database under a
  // scratch name, so the original path is without a database only between two renames.
  const salvage = salvageDatabase(path, key);
  const scratch = `${path}.rebuilding`;
  removeDatabaseFiles(scratch);
  const rebuilt = buildDatabase({ path: scratch, key, migrationsFolder }, salvage);
  const quarantinedTo = quarantineDatabaseFiles(path, now);
  moveDatabaseFiles(scratch, path);

  const lastSalvagedSeq = salvage.entries.at(-1)?.body.seq ?? salvage.checkpoints.at(-1)?.manifest.toSeq ?? 0;
  const sawMore = salvage.highestSeqSeen > lastSalvagedSeq || salvage.journalInDoubt;
  return {
    quarantinedTo,
    deviceId: salvage.identity?.deviceId ?? null,
    checkpoints: salvage.checkpoints.length,
    salvagedEntries: salvage.entries.length,
    lastSalvagedSeq,
    lostFromSeq: sawMore ? lastSalvagedSeq + 1 : null,
    rebuiltRecords: rebuilt.records,
    toRefetch: uniqueRefs([...rebuilt.unrebuildable, ...salvage.recordIds]).filter((ref) => !rebuilt.rebuiltKeys.has(refKey(ref))),
    problems: salvage.problems,
  };
}

function refuseHealthyDatabase(path: string, key: Uint8Array | null): void {
  let healthy = true;
  try {
    openDeviceDatabase({ path, key, readonly: true }).sqlite.close();
  } catch {
    healthy = false;
  }
  if (healthy) throw new NothingToRecoverError(path);
}

function refKey(ref: RecordRef): string {
  return `${ref.type}:${ref.id}`;
}

function uniqueRefs(refs: RecordRef[]): RecordRef[] {
  return [...new Map(refs.map((ref) => [refKey(ref), ref])).values()];
}

interface DeviceRow {
  deviceId: string;
  publicKey: string;
  createdAt: number;
}

interface Salvage {
  identity: DeviceRow | null;
  checkpoints: SignedCheckpoint[];
  /** The verified prefix of the journal after the checkpoints. */
  entries: JournalEntry[];
  acknowledgedAt: Map<number, number>;
  operators: OperatorRow[];
  /** Records the damaged database held (ids read from the primary-key indexes). */
  recordIds: RecordRef[];
  highestSeqSeen: number;
  /** Part of the chain could not be read or verified, so more entries may have existed than were seen. */
  journalInDoubt: boolean;
  problems: string[];
}

function salvageDatabase(path: string, key: Uint8Array | null): Salvage {
  const problems: string[] = [];
  let journalInDoubt = false;
  const report = (what: string) => (error: unknown) => problems.push(`${what}: ${(error as Error).message}`);
  const doubt = (what: string) => (error: unknown) => {
    journalInDoubt = true;
    report(what)(error);
  };
  const nothing = (): Salvage => ({
    identity: null,
    checkpoints: [],
    entries: [],
    acknowledgedAt: new Map(),
    operators: [],
    recordIds: [],
    highestSeqSeen: 0,
    journalInDoubt: true,
    problems,
  });
  let sqlite: Sqlite;
  try {
    sqlite = openDeviceDatabase({ path, key, readonly: true, skipIntegrityCheck: true }).sqlite;
  } catch (error) {
    report('the database cannot be opened at all')(error);
    return nothing();
  }
  try {
    const identity = readDeviceRow(sqlite, report('device identity'));
    if (!identity) return nothing();
    const checkpoints = readRows(sqlite, 'SELECT signed FROM checkpoints ORDER BY to_seq', (row: { signed: string }) => JSON.parse(row.signed) as SignedCheckpoint, doubt('checkpoints'));
    const entries = readRows(sqlite, 'SELECT body, hash, signature FROM journal ORDER BY seq', toEntry, doubt('journal'));
    const outboxRows = readRows(sqlite, 'SELECT seq, state, acknowledged_at AS acknowledgedAt FROM outbox ORDER BY seq', (row: OutboxRow) => row, doubt('outbox'));
    const operators = readRows(
      sqlite,
      'SELECT operator_id AS operatorId, badge_id AS badgeId, display_name AS displayName, role, pin_verifier AS pinVerifier FROM operators',
      (row: Salvage['operators'][number]) => row,
      report('operators'),
    );
    // ORDER BY id reads the primary-key index, so ids survive damage to the table's own pages.
    const recordIds = RECORD_TYPE_NAMES.flatMap((type) =>
      readRows(sqlite, `SELECT id FROM ${getTableName(recordTables[type])} ORDER BY id`, (row: { id: string }) => ({ type, id: row.id }), report(`${type} records`)),
    );
    const verified = verifiedPrefix(identity, checkpoints, entries, doubt('verification'));
    return {
      identity,
      ...verified,
      acknowledgedAt: new Map(outboxRows.filter((row) => row.state === 'acknowledged' && row.acknowledgedAt !== null).map((row) => [row.seq, row.acknowledgedAt!])),
      operators,
      recordIds,
      highestSeqSeen: [...entries.map((entry) => entry.body.seq), ...outboxRows.map((row) => row.seq)].reduce((a, b) => Math.max(a, b), 0),
      journalInDoubt,
      problems,
    };
  } finally {
    sqlite.close();
  }
}

interface OutboxRow {
  seq: number;
  state: string;
  acknowledgedAt: number | null;
}

function readDeviceRow(sqlite: Sqlite, onError: (error: unknown) => void): DeviceRow | null {
  const [row] = readRows(
    sqlite,
    'SELECT device_id AS deviceId, public_key AS publicKey, created_at AS createdAt FROM device WHERE singleton = 1',
    (found: DeviceRow) => found,
    onError,
  );
  if (!row) onError(new Error('the device row is missing, so nothing can be verified'));
  return row ?? null;
}

/** Reads rows in order until the first one that cannot be read or decoded; keeps what came before. */
function readRows<Row, T>(sqlite: Sqlite, query: string, decode: (row: Row) => T, onError: (error: unknown) => void): T[] {
  const out: T[] = [];
  try {
    for (const row of sqlite.prepare(query).iterate() as IterableIterator<Row>) out.push(decode(row));
  } catch (error) {
    onError(error);
  }
  return out;
}

function toEntry(row: { body: string; hash: string; signature: string }): JournalEntry {
  return { body: JSON.parse(row.body) as JournalEntry['body'], hash: row.hash, signature: row.signature };
}

/** The checkpoints and entries that verify, in order, with the same verifier the office uses. */
function verifiedPrefix(
  identity: DeviceRow,
  checkpoints: SignedCheckpoint[],
  entries: JournalEntry[],
  onFailure: (error: unknown) => void,
): Pick<Salvage, 'checkpoints' | 'entries'> {
  const deviceIdentity: DeviceIdentity = { deviceId: identity.deviceId, devicePublicKey: hexToBytes(identity.publicKey) };
  const verdict = verifyChain(deviceIdentity, { checkpoints, entries });
  if (verdict.ok) return { checkpoints, entries };
  onFailure(new Error(`${verdict.failure.code} at seq ${verdict.failure.seq ?? '?'}: ${verdict.failure.message}`));
  if (verdict.failure.code === 'bad-checkpoint') return { checkpoints: checkpoints.slice(0, verdict.failure.index), entries: [] };
  return { checkpoints, entries: entries.slice(0, verdict.entriesVerified) };
}

interface Rebuilt {
  records: number;
  rebuiltKeys: Set<string>;
  unrebuildable: RecordRef[];
}

function buildDatabase(options: { path: string; key: Uint8Array | null; migrationsFolder?: string }, salvage: Salvage): Rebuilt {
  const { sqlite, db } = openDeviceDatabase(options);
  try {
    return sqlite.transaction(() => {
      if (salvage.identity) db.insert(device).values({ singleton: 1, ...salvage.identity }).run();
      for (const operator of salvage.operators) upsertOperator(db, operator);
      for (const checkpoint of salvage.checkpoints) insertCheckpoint(db, checkpoint);
      for (const entry of salvage.entries) appendJournalEntry(db, entry);
      restoreAcknowledgements(db, salvage);
      rebuildSessions(db, salvage);
      const replayed = replayRecords(salvage);
      for (const record of replayed.records) writeRecord(db, record);
      return {
        records: replayed.records.length,
        rebuiltKeys: new Set(replayed.records.map(refKey)),
        unrebuildable: replayed.unrebuildable,
      };
    })();
  } finally {
    sqlite.close();
  }
}

/** Entries not known to be acknowledged stay pending, so the office gets them again (it is idempotent). */
function restoreAcknowledgements(db: DeviceDb, salvage: Salvage): void {
  const byTime = new Map<number, number[]>();
  for (const entry of salvage.entries) {
    const at = salvage.acknowledgedAt.get(entry.body.seq);
    if (at !== undefined) byTime.set(at, [...(byTime.get(at) ?? []), entry.body.seq]);
  }
  for (const [at, seqs] of byTime) markAcknowledged(db, seqs, at);
}

/**
 * Sessions come from the verified chain: the one in force at the last checkpoint (compaction
 * needs it for the next manifest) and those opened and closed in the salvaged entries.
 */
function rebuildSessions(db: DeviceDb, salvage: Salvage): void {
  const last = salvage.checkpoints.at(-1)?.manifest;
  if (last?.session) {
    const { certificate } = last.session.certificate;
    insertSession(db, last.session.certificate, certificate.firstSeq);
    // The exact close entry was folded; the checkpoint proves it came no later than its end.
    if (last.session.closed) closeSessionRow(db, certificate.sessionId, last.toSeq, last.createdAt, 'closed before checkpoint');
  }
  for (const { body } of salvage.entries) {
    if (body.kind === 'session.open') insertSession(db, body.certificate, body.seq);
    if (body.kind === 'session.close') closeSessionRow(db, body.sessionId, body.seq, body.deviceTime, body.reason);
  }
}

/**
 * Replays the salvaged record entries with the shared operation rules. A record whose earlier
 * history was folded into a checkpoint cannot be rebuilt locally; the office has it.
 */
function replayRecords(salvage: Salvage): { records: StoredRecord[]; unrebuildable: RecordRef[] } {
  const records = new Map<string, StoredRecord>();
  const unrebuildable = new Map<string, RecordRef>();
  for (const { body } of salvage.entries) {
    if (body.kind !== 'record') continue;
    const spec = recordTypeSpec(body.recordType);
    if (!spec) continue;
    const type = body.recordType as RecordType;
    const key = refKey({ type, id: body.recordId });
    if (unrebuildable.has(key)) continue;
    const current = records.get(key) ?? null;
    const applied = applyAction(spec, current, body.action, body.ops);
    if (!applied.ok) {
      records.delete(key);
      unrebuildable.set(key, { type, id: body.recordId });
      continue;
    }
    const pending = !salvage.acknowledgedAt.has(body.seq) || current?.syncState === 'local';
    records.set(key, {
      type,
      id: body.recordId,
      ...applied.state,
      // The office's version is unknown until the next pull brings the canonical copy.
      serverVersion: null,
      lastSeq: body.seq,
      syncState: pending ? 'local' : 'synced',
      pendingReview: false,
      createdAt: current?.createdAt ?? body.deviceTime,
      createdBy: current?.createdBy ?? body.operatorId,
      updatedAt: body.deviceTime,
      updatedBy: body.operatorId,
    });
  }
  return { records: [...records.values()], unrebuildable: [...unrebuildable.values()] };
}

/** Only for the scratch database recovery itself builds (a leftover of an interrupted attempt). */
function removeDatabaseFiles(path: string): void {
  for (const suffix of DATABASE_FILE_SUFFIXES) rmSync(path + suffix, { force: true });
}

function moveDatabaseFiles(from: string, to: string): void {
  for (const suffix of DATABASE_FILE_SUFFIXES) {
    if (existsSync(from + suffix)) renameSync(from + suffix, to + suffix);
  }
}
