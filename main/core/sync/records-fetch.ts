import { type CanonicalRecord, fetchRecordsSchema } from '../../../protocol/wire.js';
import { callOffice, deviceHeaders } from './api.js';
import type { StoredEnrollment } from './state.js';
import type { SyncTransport } from './transport.js';

export interface RecordsFetchDeps {
  transport: SyncTransport;
  enrollment: StoredEnrollment;
  schemaVersion: number;
}

export function refKey(ref: { type: string; id: string }): string {
  return `${ref.type}\u0000${ref.id}`;
}

/**
 * The office's canonical state of up to MAX_FETCH_RECORDS records, by key; one the office does not
 * share with this device's site, or does not hold, is missing from the map.
 */
export async function fetchCanonical(deps: RecordsFetchDeps, refs: readonly { type: string; id: string }[]): Promise<Map<string, CanonicalRecord>> {
  const { records } = await callOffice(
    deps.transport,
    '/v1/sync/records',
    { schemaVersion: deps.schemaVersion, keys: refs.map(({ type, id }) => ({ type, id })) },
    fetchRecordsSchema,
    deviceHeaders(deps.enrollment.credential, deps.schemaVersion),
  );
  return new Map(records.map((record) => [refKey(record), record]));
}
