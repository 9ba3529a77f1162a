/**
 * Pure helpers the fleet benchmarks share between the benchmark process and the device workers:
 * where a device is in the change feed, what it holds of the shared work orders, and from when on
 * a device's state stayed what it ended as.
 */

/** The change id a pull cursor stands for (server/sync/cursor.ts: base64url of "v1.<id>"); 0 for none. */
export function cursorChangeId(cursor: string | null | undefined): number {
  if (!cursor) return 0;
  const match = /^v1\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new Error(`not a v1 pull cursor: ${cursor}`);
  return Number(match[1]);
}

export interface WorkOrderValues {
  id: string;
  statusNote: unknown;
  location: unknown;
}

/** The shared work orders' edited fields as one comparable string, whatever order they were read in. */
export function workOrderDigest(rows: readonly WorkOrderValues[]): string {
  const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return JSON.stringify(sorted.map((row) => [row.id, row.statusNote ?? null, row.location ?? null]));
}

/**
 * The time of the first observation from which `holds` is true through the last one: when the
 * state settled into what it ended as. Null when the last observation does not hold.
 */
export function settledAt<T extends { at: number }>(observations: readonly T[], holds: (observation: T) => boolean): number | null {
  let since: number | null = null;
  for (const observation of observations) {
    if (!holds(observation)) since = null;
    else since ??= observation.at;
  }
  return since;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** "/v1/attachments/<sha256>" and the like, as one path per kind of request. */
export function pathGroup(path: string): string {
  return path.replace(/\/[0-9a-f]{64}(?=\/|$)/, '/:sha256').replace(/\?.*$/, '');
}
