import { z } from 'zod';
import type { DeviceDb, Sqlite } from '../../../db/open.js';
import { readSyncValue, removeOperator, writeSyncValue } from '../../../db/queries/sync.js';
import { type Change, DEFAULT_PULL_LIMIT, type DeviceHealth, MAX_FETCH_RECORDS, pullResponseSchema } from '../../../protocol/wire.js';
import type { Clock } from '../ports.js';
import { storeOfficeOperator } from '../sessions.js';
import { callOffice, deviceHeaders } from './api.js';
import { fetchCanonical, refKey } from './records-fetch.js';
import { settleRecord, settleRecordDelta } from './settle.js';
import { readPullCursor, recordClockSample, type StoredEnrollment } from './state.js';
import type { SyncTransport } from './transport.js';

export interface PullDeps {
  db: DeviceDb;
  sqlite: Sqlite;
  clock: Clock;
  transport: SyncTransport;
  enrollment: StoredEnrollment;
  schemaVersion: number;
  pinPepper: Uint8Array;
  /**
   * Told, once the page is stored, of each operator the office deactivated: the device signs them
   * out if they are signed in (their removal alone would leave an open session signing).
   */
  onOperatorRemoved?(operatorId: string): void;
  /** What the device tells the office of itself with each page (its queue, its build). */
  health?(): DeviceHealth;
}

export interface PullPageReport {
  records: number;
  operators: number;
  hasMore: boolean;
}

/**
 * Fetches the changes after the stored cursor and applies them: records become the canonical
 * state with pending local operations re-applied, operators (and their PIN verifiers) are added,
 * updated or removed so sign-in works offline. The new cursor is stored in the same transaction
 * as the changes, so a crash in between fetches the page again rather than skipping it.
 */
export async function pullPage(deps: PullDeps, limit = DEFAULT_PULL_LIMIT): Promise<PullPageReport> {
  const { db, sqlite, clock, transport, enrollment, schemaVersion, pinPepper } = deps;
  const cursor = readPullCursor(db);
  const sentAt = clock.now();
  const response = await callOffice(
    transport,
    '/v1/sync/pull',
    { schemaVersion, cursor, limit, deltas: true, ...(deps.health ? { health: deps.health() } : {}) },
    pullResponseSchema,
    deviceHeaders(enrollment.credential, schemaVersion),
  );
  const answeredAt = clock.now();
  const applied = sqlite.transaction(() => {
    const report: PullPageReport = { records: 0, operators: 0, hasMore: response.hasMore };
    const now = answeredAt;
    recordClockSample(db, sentAt, response.time, answeredAt);
    const wanted: WantedRecord[] = [];
    for (const change of response.changes) {
      const unapplied = applyChange(db, change, now, pinPepper);
      if (unapplied) wanted.push(unapplied);
      report[change.kind === 'operator' ? 'operators' : 'records']++;
    }
    if (wanted.length > 0) writeSyncValue(db, 'pull.wholeRecords', [...readWholeRecordsWanted(db), ...wanted]);
    writeSyncValue(db, 'site.pinMinLength', response.site.pinMinLength);
    writeSyncValue(db, 'pull.cursor', response.cursor);
    return report;
  })();
  for (const change of response.changes) {
    if (change.kind === 'operator' && !change.operator.active) deps.onOperatorRemoved?.(change.operator.operatorId);
  }
  await fetchWholeRecords(deps);
  return applied;
}

const wantedSchema = z.array(z.strictObject({ type: z.string(), id: z.string() }));
type WantedRecord = z.infer<typeof wantedSchema>[number];

function readWholeRecordsWanted(db: DeviceDb): WantedRecord[] {
  return wantedSchema.safeParse(readSyncValue(db, 'pull.wholeRecords')).data ?? [];
}

/**
 * Fetches whole the records whose delta the device could not apply (its copy was another version,
 * or held unsent work). The list is kept with the page that named them, so a fetch cut short is
 * done by the next pull; the records' later versions still arrive in order.
 */
async function fetchWholeRecords(deps: PullDeps): Promise<void> {
  const { db, sqlite, clock } = deps;
  const wanted = readWholeRecordsWanted(db);
  for (let start = 0; start < wanted.length; start += MAX_FETCH_RECORDS) {
    const chunk = wanted.slice(start, start + MAX_FETCH_RECORDS);
    const canonical = await fetchCanonical(deps, chunk);
    const now = clock.now();
    sqlite.transaction(() => {
      for (const ref of chunk) {
        const record = canonical.get(refKey(ref));
        // No longer shared with this site: its removal reaches the device as any other would.
        if (record) settleRecord(db, ref.type, ref.id, record, now);
      }
      writeSyncValue(db, 'pull.wholeRecords', readWholeRecordsWanted(db).slice(chunk.length));
    })();
  }
}

/** Applies a change; returns the record to fetch whole when it is a delta the device's copy cannot take. */
function applyChange(db: DeviceDb, change: Change, now: number, pinPepper: Uint8Array): WantedRecord | null {
  if (change.kind === 'record') {
    settleRecord(db, change.record.type, change.record.id, change.record, now);
    return null;
  }
  if (change.kind === 'recordDelta') {
    const { type, id } = change.delta;
    return settleRecordDelta(db, change.delta, now) ? null : { type, id };
  }
  const { operatorId, badgeId, displayName, role, pinVerifier, active } = change.operator;
  if (active) storeOfficeOperator(db, { operatorId, badgeId, displayName, role, pinVerifier }, pinPepper);
  else removeOperator(db, operatorId);
  return null;
}
