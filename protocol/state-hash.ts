import { canonicalize } from './canonical.js';
import { sha256Hex } from './crypto/hash.js';
import { merkleRoot } from './merkle.js';
import { emptyValue } from './operations.js';
import type { RecordTypeSpec } from './records/index.js';

/**
 * The state hash of a set of records, computed identically by a device over the copies it holds
 * and by the office over its canonical records, so that the two can tell whether they agree
 * without sending the records (anti-entropy). A checkpoint signs the device's hash.
 *
 * Each record is one leaf: the hash of its canonical state (type, id, server version, the fields
 * the device's schema knows, deleted, pending review). Leaves fall into STATE_BUCKETS buckets by
 * the hash of their key; a bucket's hash is the Merkle root of its leaves in key order, and the
 * state hash is the Merkle root of the bucket hashes. A difference is found bucket by bucket, so
 * narrowing it down costs the records of one bucket, not of the whole set.
 */

export const STATE_BUCKETS = 64;

const LEAF_DOMAIN = 'waypost/record-state/v1';

export interface RecordStateInput {
  type: string;
  id: string;
  version: number;
  fields: Readonly<Record<string, unknown>>;
  deleted: boolean;
  pendingReview: boolean;
}

export interface StateLeaf {
  type: string;
  id: string;
  version: number;
  leaf: string;
}

export interface StateSummary {
  records: number;
  buckets: string[];
  root: string;
}

/** The bucket of a record key: stable across builds, spread evenly whatever the ids look like. */
export function stateBucket(type: string, id: string): number {
  return Number.parseInt(sha256Hex(`${type}\n${id}`).slice(0, 2), 16) % STATE_BUCKETS;
}

/**
 * The fields as a device of the record type's schema holds them: every field it knows present
 * (a missing one is its empty value), set members in a fixed order (sets have none of their own).
 * `knows` leaves out fields an older client cannot have.
 */
export function normalizedFields(spec: RecordTypeSpec, fields: Readonly<Record<string, unknown>>, knows: (field: string) => boolean = () => true): Record<string, unknown> {
  const normalized: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(spec.fields)) {
    if (!knows(name)) continue;
    const value = Object.hasOwn(fields, name) ? fields[name] : emptyValue(field);
    normalized[name] = field.kind === 'set' && Array.isArray(value) ? sortedMembers(value) : value;
  }
  return normalized;
}

function sortedMembers(members: readonly unknown[]): unknown[] {
  return members
    .map((member) => [canonicalize(member), member] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, member]) => member);
}

export function recordStateLeaf(spec: RecordTypeSpec, record: RecordStateInput, knows?: (field: string) => boolean): StateLeaf {
  const state = [LEAF_DOMAIN, record.type, record.id, record.version, normalizedFields(spec, record.fields, knows), record.deleted, record.pendingReview];
  return { type: record.type, id: record.id, version: record.version, leaf: sha256Hex(canonicalize(state)) };
}

export function compareKeys(a: { type: string; id: string }, b: { type: string; id: string }): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The leaves of some buckets, by bucket and in key order within each. */
export function bucketLeaves(leaves: Iterable<StateLeaf>, buckets: Iterable<number>): StateLeaf[] {
  const wanted = new Set(buckets);
  return [...leaves]
    .map((leaf) => ({ leaf, bucket: stateBucket(leaf.type, leaf.id) }))
    .filter(({ bucket }) => wanted.has(bucket))
    .sort((a, b) => a.bucket - b.bucket || compareKeys(a.leaf, b.leaf))
    .map(({ leaf }) => leaf);
}

export function summarizeState(leaves: Iterable<StateLeaf>): StateSummary {
  const byBucket: StateLeaf[][] = Array.from({ length: STATE_BUCKETS }, () => []);
  let records = 0;
  for (const leaf of leaves) {
    byBucket[stateBucket(leaf.type, leaf.id)]!.push(leaf);
    records++;
  }
  const buckets = byBucket.map((bucket) => merkleRoot(bucket.sort(compareKeys).map((leaf) => leaf.leaf)));
  return { records, buckets, root: merkleRoot(buckets) };
}

/** The buckets whose hashes differ, in order. */
export function differingBuckets(mine: StateSummary, theirs: StateSummary): number[] {
  return mine.buckets.flatMap((hash, bucket) => (hash === theirs.buckets[bucket] ? [] : [bucket]));
}

/**
 * How long a device keeps a closed, synced record, by what the device is for: a kiosk's gate
 * clerks look back a month, an inspector's cab a season of a unit's inspections.
 */
export const RETENTION_WINDOW_MS: Readonly<Record<'cab' | 'kiosk', number>> = {
  kiosk: 30 * 24 * 60 * 60 * 1000,
  cab: 90 * 24 * 60 * 60 * 1000,
};

/**
 * When a record was closed, by its own fields (so device and office read the same time): a
 * submitted gate event, inspection or interchange at the time it records, a finished work order
 * when it was completed. Null for a record that is still open or never closes (counts, notes,
 * billing lines), which a device keeps.
 */
export function closedAt(type: string, fields: Readonly<Record<string, unknown>>): number | null {
  const time = (name: string) => (typeof fields[name] === 'number' ? (fields[name] as number) : null);
  switch (type) {
    case 'gateEvent':
      return fields.status === 'submitted' ? time('recordedAt') : null;
    case 'inspection':
      return fields.status === 'submitted' ? time('submittedAt') : null;
    case 'equipmentInterchange':
      return fields.status === 'submitted' ? time('interchangedAt') : null;
    case 'workOrder':
      return fields.status === 'done' || fields.status === 'cancelled' ? (time('completedAt') ?? time('dueDate')) : null;
    default:
      return null;
  }
}

/**
 * A record closed before `closedBefore` leaves the device once synced, and both sides leave it
 * out of the state hash, so that what a device evicted never reads as lost.
 */
export function outsideWindow(type: string, fields: Readonly<Record<string, unknown>>, closedBefore: number): boolean {
  return closedOutsideWindow(closedAt(type, fields), closedBefore);
}

/** outsideWindow for a record known to have closed at `closed` (null: not closed). */
export function closedOutsideWindow(closed: number | null, closedBefore: number): boolean {
  return closed !== null && closed < closedBefore;
}
