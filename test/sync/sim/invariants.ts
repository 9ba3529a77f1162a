import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import { allRecords } from '../../../db/queries/records.js';
import { readAnchor } from '../../../main/core/sync/state.js';
import { DAEMON_TIMING, type SimDevice } from './device.js';
import { rowsOf } from './office.js';
import { type Decision, type Op, Oracle, type OracleRecord } from './oracle.js';
import type { World } from './run.js';

/**
 * What must hold of the fleet, during the run and once everything healed. Each check throws an
 * `InvariantViolation` naming the invariant and what broke it, in words a person can act on.
 */
export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

/** A console write that the office took (2xx), in the order the console made them. */
export interface OfficeWriteLog {
  recordType: string;
  recordId: string;
  action: string;
  ops: Op[];
  baseVersion?: number;
  decision?: Decision;
}

export const INVARIANTS = {
  acknowledgedOnce: 'every entry a device confirmed reaches the office exactly once',
  noGaps: 'per-device sequences have no gaps',
  oracle: "every record equals the oracle's",
  converged: 'every device holds what the office holds',
  conflictsVisible: 'every concurrent edit is settled by its policy or is a conflict visible on the device and in the review queue',
  chain: 'every chain verifies and extends its anchored head',
  errorShown: 'a failed push shows on the device until its entries go through',
  drains: 'every outbox drains within a bounded time after healing',
  stateHash: "a device's compacted state hash equals the office's view of the same records",
  attachments: 'every attachment a record names reaches the office whole',
} as const;

function fail(invariant: keyof typeof INVARIANTS, message: string): never {
  throw new InvariantViolation(INVARIANTS[invariant], message);
}

/** Cheap checks after every step. */
export function checkDuringRun(devices: readonly SimDevice[]): void {
  for (const device of devices) {
    for (const [seq, times] of device.acknowledged) {
      if (times > 1) fail('acknowledgedOnce', `${device.name}: entry ${seq} was reported acknowledged ${times} times`);
    }
    if (!device.alive) continue;
    const status = device.daemon.status();
    const lastPush = device.link.lastPush;
    if (lastPush?.failed && status.pending > 0 && !status.running && status.lastError === null) {
      const next = status.nextAttemptAt === null ? 'never' : `in ${Math.round((status.nextAttemptAt - device.options.clock.now()) / 1000)} s`;
      fail('errorShown', `${device.name}: ${status.pending} entries pending since a push failed, no error shown, next attempt ${next}`);
    }
  }
}

interface WriteRow {
  id: number;
  origin: 'office' | 'field';
  record_type: string;
  record_id: string;
  action: string;
  device_id: string | null;
  seq: number | null;
  operator_id: string | null;
  user_id: string | null;
  effective_time: number;
  received_at: number;
  outcome: string;
  reason: string | null;
}

interface EntryRow {
  device_id: string;
  seq: number;
  hash: string;
  body: string;
}

/** Heals the world, lets time pass for the outboxes to drain, then checks everything against the office and the oracle. */
export async function checkAfterHealing(
  world: World,
  heal: () => Promise<void>,
  advanceTo: (until: number, done: () => boolean) => Promise<void>,
): Promise<void> {
  const { office, devices } = world;
  const healedAt = office.clock.now();
  await heal();
  const bound = DAEMON_TIMING.intervalMs + DAEMON_TIMING.backoff.maxMs + 60_000;
  await advanceTo(healedAt + bound, () => devices.every((device) => device.daemon.status().pending === 0));
  for (const device of devices) {
    const status = device.daemon.status();
    if (status.pending > 0) {
      const error = status.lastError ? `last error ${status.lastError.code}: ${status.lastError.message}` : 'no error shown';
      fail('drains', `${device.name}: ${status.pending} entries still pending ${Math.round(bound / 60_000)} min after healing (${error})`);
    }
  }
  // Every outbox is empty: one more sync of each device pulls what all the others pushed.
  for (const device of devices) {
    const { lastError } = await device.daemon.syncNow();
    if (lastError) fail('converged', `${device.name}: a sync over the healed network failed: ${lastError.code}: ${lastError.message}`);
  }
  for (const device of devices) device.daemon.stop();

  const db = office.database.db;
  const entries = rowsOf<EntryRow>(await db.execute(sql`SELECT device_id, seq, hash, body FROM journal_entries ORDER BY device_id, seq`));
  const writes = rowsOf<WriteRow>(await db.execute(sql`SELECT * FROM record_writes ORDER BY id`));
  checkEntries(devices, entries, writes);
  const expected = replay(world, entries, writes);
  const canonical = await officeRecords(world);
  compareRecords('oracle', 'the office holds', canonical, 'the policies give', expected);
  for (const device of devices) {
    const local = allRecords(device.core.database.db).map((record) => ({
      type: record.type,
      id: record.id,
      version: record.serverVersion ?? 0,
      deleted: record.deleted,
      pendingReview: record.pendingReview,
      fields: record.fields,
    }));
    compareRecords('converged', `${device.name} holds`, local, 'the office holds', canonical);
  }
  await checkConflictsVisible(world, writes, canonical);
  await checkAttachments(world, canonical);
  await checkChains(world);
}

/** Upload passes over the healed network (a few, as the app makes after syncs) leave every photo a record names stored at the office. */
async function checkAttachments(world: World, canonical: readonly OracleRecord[]): Promise<void> {
  for (const device of world.devices) {
    for (let pass = 0, more = true; pass < 3 && more; pass++) {
      const outcome = await device.uploadPass();
      world.trace(`${device.name}: upload pass: ${outcome.said}`);
      more = outcome.more;
    }
  }
  const stored = new Set(
    rowsOf<{ sha256: string }>(await world.office.database.db.execute(sql`SELECT sha256 FROM attachments WHERE stored_at IS NOT NULL`)).map((row) => row.sha256),
  );
  for (const record of canonical) {
    for (const photo of (record.fields.photos as string[] | undefined) ?? []) {
      if (!stored.has(photo)) fail('attachments', `${record.type} ${record.id}: photo ${photo.slice(0, 12)} is not stored whole at the office after healing`);
    }
  }
}

function checkEntries(devices: readonly SimDevice[], entries: readonly EntryRow[], writes: readonly WriteRow[]): void {
  for (const device of devices) {
    const journal = device.core.journal();
    journal.forEach((entry, index) => {
      if (entry.body.seq !== index + 1) fail('noGaps', `${device.name}: its journal jumps from entry ${index} to ${entry.body.seq}`);
    });
    const held = entries.filter((row) => row.device_id === device.core.deviceId);
    held.forEach((row, index) => {
      if (row.seq !== index + 1) fail('noGaps', `${device.name}: the office holds its entries up to ${index} and then ${row.seq}`);
    });
    for (const entry of journal) {
      const stored = held[entry.body.seq - 1];
      if (!stored) fail('acknowledgedOnce', `${device.name}: entry ${entry.body.seq} was confirmed by the office, which does not hold it`);
      if (stored.hash !== entry.hash) fail('acknowledgedOnce', `${device.name}: the office holds another entry ${entry.body.seq} than the device made`);
      const reported = device.acknowledged.get(entry.body.seq) ?? 0;
      if (reported !== 1) fail('acknowledgedOnce', `${device.name}: entry ${entry.body.seq} was reported acknowledged ${reported} times`);
    }
    if (held.length > journal.length) fail('acknowledgedOnce', `${device.name}: the office holds ${held.length} entries of a journal of ${journal.length}`);
  }
  const seen = new Map<string, number>();
  for (const write of writes) {
    if (write.device_id === null) continue;
    const key = `${write.device_id}#${write.seq}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (seen.get(key)! > 1) {
      const name = devices.find((device) => device.core.deviceId === write.device_id)?.name ?? write.device_id;
      fail('acknowledgedOnce', `${name}: entry ${write.seq} was settled ${seen.get(key)} times on ${write.record_type} ${write.record_id}`);
    }
  }
}

/** Refusals that are no write of the record (validation, scope): the oracle takes the office's word for them. */
const POLICY_REFUSALS = new Set(['policy-rejected', 'record-deleted']);

function replay(world: World, entries: readonly EntryRow[], writes: readonly WriteRow[]): OracleRecord[] {
  const bodies = new Map(entries.map((row) => [`${row.device_id}#${row.seq}`, JSON.parse(row.body) as { ops: Op[]; baseVersion: number | null; operatorId: string }]));
  const console = [...world.officeLog];
  const oracle = new Oracle();
  for (const write of writes) {
    const stamp = { effectiveTime: Number(write.effective_time), receivedAt: Number(write.received_at), recordType: write.record_type, recordId: write.record_id, action: write.action };
    if (write.origin === 'office') {
      const made = console.shift();
      if (!made || made.recordType !== write.record_type || made.recordId !== write.record_id) {
        fail('oracle', `the office's write history holds an office write of ${write.record_type} ${write.record_id} that the console did not make`);
      }
      if (write.outcome === 'rejected' && !POLICY_REFUSALS.has(write.reason ?? '')) continue;
      oracle.apply({ ...stamp, origin: 'office', ops: made.ops, baseVersion: made.baseVersion, deviceId: null, seq: null, operatorId: write.user_id ?? '', decision: made.decision });
      continue;
    }
    if (write.outcome === 'rejected' && !POLICY_REFUSALS.has(write.reason ?? '')) continue;
    const body = bodies.get(`${write.device_id}#${write.seq}`);
    if (!body) fail('acknowledgedOnce', `the office settled entry ${write.seq} of ${write.device_id} but does not hold it`);
    oracle.apply({ ...stamp, origin: 'field', ops: body.ops, baseVersion: body.baseVersion, deviceId: write.device_id, seq: write.seq, operatorId: body.operatorId });
  }
  if (console.length > 0) fail('oracle', `${console.length} console writes the office answered are missing from its write history`);
  return oracle.records();
}

async function officeRecords(world: World): Promise<OracleRecord[]> {
  const rows = rowsOf<OracleRecord & { pending_review: boolean }>(
    await world.office.database.db.execute(sql`SELECT type, id, version, deleted, pending_review, fields FROM records ORDER BY type, id`),
  );
  return rows.map(({ pending_review, ...row }) => ({ ...row, pendingReview: pending_review }));
}

function compareRecords(invariant: 'oracle' | 'converged', actualLabel: string, actual: readonly OracleRecord[], expectedLabel: string, expected: readonly OracleRecord[]): void {
  const byKey = (records: readonly OracleRecord[]) => new Map(records.map((record) => [`${record.type} ${record.id}`, record]));
  const have = byKey(actual);
  const want = byKey(expected);
  for (const [key, record] of want) {
    const held = have.get(key);
    if (!held) fail(invariant, `${key}: ${actualLabel} nothing, ${expectedLabel} version ${record.version}`);
    const differences = differencesOf(held, record);
    if (differences.length > 0) fail(invariant, `${key}: ${actualLabel} ${differences.map(([name, a]) => `${name}=${JSON.stringify(a)}`).join(', ')} but ${expectedLabel} ${differences.map(([name, , b]) => `${name}=${JSON.stringify(b)}`).join(', ')}`);
  }
  for (const key of have.keys()) if (!want.has(key)) fail(invariant, `${key}: ${actualLabel} it, ${expectedLabel} nothing`);
}

function differencesOf(a: OracleRecord, b: OracleRecord): [string, unknown, unknown][] {
  const differences: [string, unknown, unknown][] = [];
  for (const name of ['version', 'deleted', 'pendingReview'] as const) if (a[name] !== b[name]) differences.push([name, a[name], b[name]]);
  for (const name of new Set([...Object.keys(a.fields), ...Object.keys(b.fields)])) {
    if (!isDeepStrictEqual(a.fields[name] ?? null, b.fields[name] ?? null)) differences.push([name, a.fields[name], b.fields[name]]);
  }
  return differences;
}

async function checkConflictsVisible(world: World, writes: readonly WriteRow[], canonical: readonly OracleRecord[]): Promise<void> {
  for (const device of world.devices) {
    const seqs = device.core.conflicts().map((row) => row.seq);
    const inbox = new Set(seqs);
    if (inbox.size !== seqs.length) fail('conflictsVisible', `${device.name}: its conflict inbox tells ${seqs.length - inbox.size} entries twice`);
    for (const write of writes) {
      if (write.device_id !== device.core.deviceId || write.outcome === 'accepted') continue;
      if (!inbox.has(write.seq)) fail('conflictsVisible', `${device.name}: entry ${write.seq} on ${write.record_type} ${write.record_id} came back ${write.outcome} but is not in the conflict inbox`);
    }
  }
  const open = rowsOf<{ record_type: string; record_id: string; field: string }>(
    await world.office.database.db.execute(sql`SELECT record_type, record_id, field FROM review_items WHERE status = 'open'`),
  );
  for (const item of open) {
    if (item.field === '*') continue;
    const record = canonical.find((held) => held.type === item.record_type && held.id === item.record_id);
    if (!record?.pendingReview) fail('conflictsVisible', `${item.record_type} ${item.record_id}: a review item on ${item.field} is open but the record is not pending review`);
  }
}

async function checkChains(world: World): Promise<void> {
  const chains = rowsOf<{ id: string; chain_seq: number; chain_head: string; flagged: boolean }>(
    await world.office.database.db.execute(sql`SELECT id, chain_seq, chain_head, flagged FROM devices`),
  );
  for (const device of world.devices) {
    const { core } = device;
    const tip = core.journal().at(-1);
    const chain = chains.find((row) => row.id === core.deviceId);
    if (!chain) fail('chain', `${device.name}: the office does not know it`);
    if (!tip) {
      if (chain.chain_seq !== 0) fail('chain', `${device.name}: the office anchors entry ${chain.chain_seq} of an empty journal`);
      continue;
    }
    if (chain.flagged) fail('chain', `${device.name}: the office flagged its chain`);
    if (chain.chain_seq !== tip.body.seq || chain.chain_head !== tip.hash) {
      fail('chain', `${device.name}: the office anchors entry ${chain.chain_seq} (${chain.chain_head.slice(0, 8)}) but the device's head is ${tip.body.seq} (${tip.hash.slice(0, 8)})`);
    }
    const anchor = readAnchor(core.database.db);
    if (!anchor || anchor.seq !== tip.body.seq || anchor.head !== tip.hash) fail('chain', `${device.name}: its anchor receipt is for entry ${anchor?.seq ?? 'none'}, not its head ${tip.body.seq}`);
    const checkpoints = core.compact();
    const verdict = core.verifyJournal();
    if (!verdict.ok) fail('chain', `${device.name}: its journal does not verify after compaction: ${JSON.stringify(verdict)}`);
    if (checkpoints.length === 0) fail('stateHash', `${device.name}: nothing was compacted though every entry is acknowledged`);
    const report = await core.checkState(device.link, { catchUp: () => device.client.pull() });
    if (report.outcome !== 'matched') fail('stateHash', `${device.name}: after compaction its state check ${report.outcome}: ${JSON.stringify(report)}`);
  }
}
