import type { DeviceDb, Sqlite } from '../../../db/open.js';
import { removeOperator, writeSyncValue } from '../../../db/queries/sync.js';
import { type Change, DEFAULT_PULL_LIMIT, type DeviceHealth, pullResponseSchema } from '../../../protocol/wire.js';
import type { Clock } from '../ports.js';
import { storeOfficeOperator } from '../sessions.js';
import { callOffice, deviceHeaders } from './api.js';
import { settleRecord } from './settle.js';
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
    { schemaVersion, cursor, limit, ...(deps.health ? { health: deps.health() } : {}) },
    pullResponseSchema,
    deviceHeaders(enrollment.credential, schemaVersion),
  );
  const answeredAt = clock.now();
  const applied = sqlite.transaction(() => {
    const report: PullPageReport = { records: 0, operators: 0, hasMore: response.hasMore };
    const now = answeredAt;
    recordClockSample(db, sentAt, response.time, answeredAt);
    for (const change of response.changes) {
      applyChange(db, change, now, pinPepper);
      report[change.kind === 'record' ? 'records' : 'operators']++;
    }
    writeSyncValue(db, 'site.pinMinLength', response.site.pinMinLength);
    writeSyncValue(db, 'pull.cursor', response.cursor);
    return report;
  })();
  for (const change of response.changes) {
    if (change.kind === 'operator' && !change.operator.active) deps.onOperatorRemoved?.(change.operator.operatorId);
  }
  return applied;
}

function applyChange(db: DeviceDb, change: Change, now: number, pinPepper: Uint8Array): void {
  if (change.kind === 'record') {
    settleRecord(db, change.record.type, change.record.id, change.record, now);
    return;
  }
  const { operatorId, badgeId, displayName, role, pinVerifier, active } = change.operator;
  if (active) storeOfficeOperator(db, { operatorId, badgeId, displayName, role, pinVerifier }, pinPepper);
  else removeOperator(db, operatorId);
}
