import type { FieldOperation } from '../journal.js';

/**
 * The contract every per-field conflict policy implements (one module per policy in this folder).
 * The office server calls a policy for each field operation of an incoming entry, with the field's
 * current canonical state and whether the write is concurrent (the field changed on the server
 * after the version the author based the edit on, by someone other than the author's own earlier
 * entries; `isConcurrent` in stamps.ts computes exactly that). Policies are pure and
 * deterministic: the same state, write and flag always give the same resolution.
 *
 * Calling sequence on the server, per record entry:
 *   1. record level: `tombstone(record's tombstone, write)` (tombstone.ts) — a deleted record
 *      refuses updates before any field policy runs;
 *   2. per field operation: `policyFor(spec)(state, write, isConcurrent(state, write))`, then
 *      `fieldStateAfter(state, write, resolution)` (index.ts) is the field's next state;
 *   3. `resolveEntryOutcome(resolutions)` (index.ts) is the entry's result for the device.
 * What devices see of a field is `visibleFieldValue(spec, state)`: set and map fields keep
 * per-member metadata in `FieldState.value` (see set.ts and lww.ts).
 */
export type Origin = 'office' | 'field';

export interface Author {
  operatorId: string;
  /** null for office edits made in the console. */
  deviceId: string | null;
  /** The entry's per-device sequence number; null for office edits. */
  seq: number | null;
}

/** Who changed something, when, and at which record version. */
export interface ChangeStamp {
  /** Record version at which the change was applied. */
  version: number;
  /** Skew-corrected device time of the write (server time for office writes). */
  effectiveTime: number;
  /** When the server received that write. */
  receivedAt: number;
  origin: Origin;
  author: Author;
}

export interface FieldState extends ChangeStamp {
  /**
   * The field's value: the plain value for scalar and counter fields; for set fields a `SetValue`
   * (set.ts, members with the adds that keep them); for map fields a `MapValue` (lww.ts, one
   * entry per key with its own stamp).
   */
  value: unknown;
}

export interface FieldWrite {
  /** The operation as the device sent it (set, increment, add, remove; map sets carry a key). */
  op: Exclude<FieldOperation, { op: 'tombstone' }>;
  origin: Origin;
  effectiveTime: number;
  receivedAt: number;
  author: Author;
  /**
   * The record version the author edited on (the entry's `baseVersion`; for console edits, the
   * version the console showed); null when the author never had a server copy. Set and map
   * policies use it to tell which members and keys the author had seen.
   */
  baseVersion: number | null;
  /** The record version the server gives this write's entry if it changes the record. */
  version: number;
}

export type FieldResolution =
  /** The write becomes the field's new state with no competing change. */
  | { outcome: 'applied'; value: unknown }
  /**
   * Concurrent changes were combined (counter, set, equal review values) or the write won an
   * ordering (lww, owner); `superseded` is the value it replaced, `reason` says what happened.
   */
  | { outcome: 'merged'; value: unknown; superseded?: unknown; reason?: string }
  /** The write lost (lww older than the current value); kept in history, state unchanged. */
  | { outcome: 'superseded'; reason: string }
  /** The write is refused (owner policy); kept in history, state unchanged. */
  | { outcome: 'rejected'; reason: string }
  /**
   * Both versions kept; a reviewer must decide; state unchanged until then. `current` is the
   * field's value that stays in place, `proposed` the write's value that waits for the reviewer.
   */
  | { outcome: 'review'; reason: string; current: unknown; proposed: unknown }
  /** Server-authoritative: the device value is recorded as an observation only. */
  | { outcome: 'observed'; reason: string };

export type FieldOutcome = FieldResolution['outcome'];

export type FieldPolicyFunction = (current: FieldState | null, write: FieldWrite, concurrent: boolean) => FieldResolution;

/**
 * A policy was called with input it cannot settle: an operation that does not fit the field, a
 * stored value of the wrong shape, a non-finite time. The caller's validation should have caught
 * it; nothing was decided.
 */
export class PolicyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyInputError';
  }
}
