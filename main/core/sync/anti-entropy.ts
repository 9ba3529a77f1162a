import { z } from 'zod';
import type { DeviceDb } from '../../../db/open.js';
import { forgetServerVersion, readRecord } from '../../../db/queries/records.js';
import { deleteRecordRow, readSyncValue, writeSyncValue } from '../../../db/queries/sync.js';
import { recordTypeSpec, type RecordType } from '../../../protocol/records/index.js';
import { bucketLeaves, differingBuckets, STATE_BUCKETS, type StateSummary } from '../../../protocol/state-hash.js';
import {
  MAX_FETCH_RECORDS,
  MAX_STATE_EXCLUDED,
  stateBucketsSchema,
  stateSummarySchema,
  type StateRequest,
} from '../../../protocol/wire.js';
import { type LocalState, localState, type RecordRef } from '../record-state.js';
import { callOffice, deviceHeaders } from './api.js';
import { SyncError } from './errors.js';
import { fetchCanonical, refKey } from './records-fetch.js';
import { settleRecord } from './settle.js';
import type { PullDeps } from './pull.js';

/**
 * Anti-entropy: the device compares the state hash of the records it holds with the office's hash
 * of the same records. A difference that a pull does not explain is narrowed down by bucket to
 * the records concerned, which are fetched again (or dropped, when the office no longer shares
 * them with this site), and the incident is kept for diagnostics.
 */

export interface StateCheckDeps extends Omit<PullDeps, 'pinPepper' | 'onOperatorRemoved'> {
  /** The retention window's start (records closed before it are evicted, so left out). */
  closedBefore: number;
  /** Pulls what the office changed since the last pull. */
  catchUp(): Promise<unknown>;
}

const incidentSchema = z.object({
  at: z.number(),
  differingBuckets: z.number(),
  refetched: z.number(),
  dropped: z.number(),
  /** The hashes agreed once the records were fetched again. */
  converged: z.boolean(),
  /** The first records concerned, as type/id. */
  records: z.array(z.string()),
});
export type StateIncident = z.infer<typeof incidentSchema>;

const diagnosticsSchema = z.object({
  checks: z.number(),
  lastCheckedAt: z.number().nullable(),
  /** When the device and the office last agreed. */
  lastMatchedAt: z.number().nullable(),
  /** Checks that found the device holding something other than the office. */
  incidents: z.number(),
  lastIncident: incidentSchema.nullable(),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.number() }).nullable(),
});
export type StateCheckDiagnostics = z.infer<typeof diagnosticsSchema>;

const NO_CHECK_YET: StateCheckDiagnostics = { checks: 0, lastCheckedAt: null, lastMatchedAt: null, incidents: 0, lastIncident: null, lastError: null };

export function readStateCheckDiagnostics(db: DeviceDb): StateCheckDiagnostics {
  return diagnosticsSchema.safeParse(readSyncValue(db, 'maintenance.stateCheck')).data ?? NO_CHECK_YET;
}

export type StateCheckReport =
  | { at: number; outcome: 'matched'; records: number }
  | { at: number; outcome: 'repaired' | 'unresolved'; records: number; incident: StateIncident }
  /** Too much unsent work to leave out of the comparison: the next check, after a push, compares. */
  | { at: number; outcome: 'skipped'; reason: string };

/** Without a new checkpoint, how long the device goes between two checks. */
export const STATE_CHECK_INTERVAL_MS = 6 * 60 * 60 * 1000;

/**
 * Two checks are never closer than this. Each one reads the device's whole scope on the office, and
 * a fleet coming out of a dead zone together makes a checkpoint after every sync: checking after
 * each had the office hashing every record of the site for every device, several times over.
 */
export const STATE_CHECK_MIN_GAP_MS = 15 * 60 * 1000;

/**
 * A check is due at once on a device that never checked; otherwise after a checkpoint (its state
 * hash is then compared), after an error or an incident left unresolved, and at the interval, but
 * not within the shortest gap of the last attempt.
 */
export function stateCheckDue(diagnostics: StateCheckDiagnostics, now: number, newCheckpoint: boolean): boolean {
  const { lastCheckedAt, lastError, lastIncident } = diagnostics;
  const lastAttemptAt = Math.max(lastCheckedAt ?? -Infinity, lastError?.at ?? -Infinity);
  if (lastAttemptAt === -Infinity) return true;
  if (now - lastAttemptAt < STATE_CHECK_MIN_GAP_MS) return false;
  if (newCheckpoint || lastError || (lastIncident && !lastIncident.converged) || lastCheckedAt === null) return true;
  return now - lastCheckedAt >= STATE_CHECK_INTERVAL_MS;
}

/** Leaves of about this many records per bucket request: a bounded answer however large the scope. */
const RECORDS_PER_BUCKET_REQUEST = 2000;
const INCIDENT_RECORDS_KEPT = 20;

export async function checkState(deps: StateCheckDeps): Promise<StateCheckReport> {
  const at = deps.clock.now();
  try {
    const report = await compareAndRepair(deps, at);
    noteCheck(deps.db, report);
    return report;
  } catch (error) {
    const code = error instanceof SyncError ? error.code : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    writeDiagnostics(deps.db, { ...readStateCheckDiagnostics(deps.db), lastError: { code, message, at } });
    throw error;
  }
}

async function compareAndRepair(deps: StateCheckDeps, at: number): Promise<StateCheckReport> {
  let compared = await compare(deps);
  if ('skipped' in compared) return { at, outcome: 'skipped', reason: compared.skipped };
  if (compared.office.root === compared.local.summary.root) return { at, outcome: 'matched', records: compared.local.summary.records };
  // A change the office made since the last pull explains a difference without anything lost.
  await deps.catchUp();
  compared = await compare(deps);
  if ('skipped' in compared) return { at, outcome: 'skipped', reason: compared.skipped };
  if (compared.office.root === compared.local.summary.root) return { at, outcome: 'matched', records: compared.local.summary.records };

  const buckets = differingBuckets(compared.local.summary, compared.office);
  const suspects = await differingRecords(deps, compared, buckets);
  const { refetched, dropped } = await fetchRecords(deps, suspects);
  const after = await compare(deps);
  const converged = !('skipped' in after) && after.office.root === after.local.summary.root;
  const incident: StateIncident = {
    at,
    differingBuckets: buckets.length,
    refetched,
    dropped,
    converged,
    records: suspects.slice(0, INCIDENT_RECORDS_KEPT).map((ref) => `${ref.type}/${ref.id}`),
  };
  return { at, outcome: converged ? 'repaired' : 'unresolved', records: 'skipped' in after ? 0 : after.local.summary.records, incident };
}

type Comparison = { local: LocalState; office: StateSummary } | { skipped: string };

async function compare(deps: StateCheckDeps): Promise<Comparison> {
  const local = localState(deps.db, deps.closedBefore);
  if (local.unsettled.length > MAX_STATE_EXCLUDED) {
    return { skipped: `${local.unsettled.length} records hold unsent changes; the state is compared once they are sent` };
  }
  const office = await callOffice(deps.transport, '/v1/sync/state', stateRequest(deps, local), stateSummarySchema, headers(deps));
  return { local, office };
}

function stateRequest(deps: StateCheckDeps, local: LocalState): StateRequest {
  return { schemaVersion: deps.schemaVersion, closedBefore: deps.closedBefore, exclude: local.unsettled };
}

/** The records whose leaves differ in `buckets`: held differently, held only here, or only at the office. */
async function differingRecords(deps: StateCheckDeps, compared: { local: LocalState; office: StateSummary }, buckets: number[]): Promise<RecordRef[]> {
  const perBucket = Math.max(1, compared.office.records / STATE_BUCKETS);
  const bucketsPerRequest = Math.max(1, Math.floor(RECORDS_PER_BUCKET_REQUEST / perBucket));
  const mine = new Map(bucketLeaves(compared.local.leaves, buckets).map((leaf) => [refKey(leaf), leaf]));
  const suspects = new Map<string, RecordRef>();
  for (let start = 0; start < buckets.length; start += bucketsPerRequest) {
    const request = { ...stateRequest(deps, compared.local), buckets: buckets.slice(start, start + bucketsPerRequest) };
    const theirs = await callOffice(deps.transport, '/v1/sync/state/buckets', request, stateBucketsSchema, headers(deps));
    for (const leaf of theirs.records) {
      const key = refKey(leaf);
      const held = mine.get(key);
      mine.delete(key);
      // A record type this build does not know stays at the office (the app could not show it).
      if (held?.leaf !== leaf.leaf && recordTypeSpec(leaf.type)) suspects.set(key, { type: leaf.type as RecordType, id: leaf.id });
    }
  }
  for (const [key, leaf] of mine) suspects.set(key, { type: leaf.type as RecordType, id: leaf.id });
  return [...suspects.values()];
}

/**
 * Fetches the records' canonical state from the office and makes it the device's copy (pending
 * local work re-applied on top, as a pull does); a record the office does not share with this
 * site leaves the device. A record the user changed meanwhile is left for its push to settle.
 * Also how a record evicted from the device is fetched again.
 */
export async function fetchRecords(
  deps: Pick<StateCheckDeps, 'db' | 'sqlite' | 'clock' | 'transport' | 'enrollment' | 'schemaVersion'>,
  refs: readonly RecordRef[],
): Promise<{ refetched: number; dropped: number }> {
  const { db, sqlite, clock } = deps;
  const totals = { refetched: 0, dropped: 0 };
  for (let start = 0; start < refs.length; start += MAX_FETCH_RECORDS) {
    const chunk = refs.slice(start, start + MAX_FETCH_RECORDS);
    const canonical = await fetchCanonical(deps, chunk);
    const now = clock.now();
    sqlite.transaction(() => {
      for (const ref of chunk) {
        const held = readRecord(db, ref.type, ref.id);
        if (held && held.syncState !== 'synced') continue;
        const record = canonical.get(refKey(ref));
        if (!record) {
          if (held) {
            deleteRecordRow(db, ref.type, ref.id);
            totals.dropped++;
          }
          continue;
        }
        // The copy's version is what is in doubt: the office's state replaces it whatever it claims.
        if (held) forgetServerVersion(db, ref.type, ref.id);
        settleRecord(db, ref.type, ref.id, record, now);
        totals.refetched++;
      }
    })();
  }
  return totals;
}

function noteCheck(db: DeviceDb, report: StateCheckReport): void {
  // Nothing was compared: the check stays due.
  if (report.outcome === 'skipped') return;
  const previous = readStateCheckDiagnostics(db);
  const next: StateCheckDiagnostics = { ...previous, checks: previous.checks + 1, lastCheckedAt: report.at, lastError: null };
  if (report.outcome === 'matched' || report.outcome === 'repaired') next.lastMatchedAt = report.at;
  if (report.outcome === 'repaired' || report.outcome === 'unresolved') {
    next.incidents = previous.incidents + 1;
    next.lastIncident = report.incident;
  }
  writeDiagnostics(db, next);
}

function writeDiagnostics(db: DeviceDb, diagnostics: StateCheckDiagnostics): void {
  writeSyncValue(db, 'maintenance.stateCheck', diagnostics);
}

function headers(deps: Pick<StateCheckDeps, 'enrollment' | 'schemaVersion'>): Record<string, string> {
  return deviceHeaders(deps.enrollment.credential, deps.schemaVersion);
}
