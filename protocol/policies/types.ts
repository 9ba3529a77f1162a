import type { FieldOperation } from '../journal.js';

/**
 * The contract every per-field conflict policy implements (one module per policy in this folder).
 * The office server calls a policy for each field operation of an incoming entry, with the field's
 * current canonical state and whether the write is concurrent (the field changed on the server
 * after the version the device based its edit on). Policies are pure and deterministic.
 */
export type Origin = 'office' | 'field';

export interface Author {
  operatorId: string;
  /** null for office edits made in the console. */
  deviceId: string | null;
  seq: number | null;
}

export interface FieldState {
  value: unknown;
  /** Record version at which this field last changed. */
  version: number;
  /** Skew-corrected device time of the write that set it (server time for office writes). */
  effectiveTime: number;
  /** When the server received that write. */
  receivedAt: number;
  origin: Origin;
  author: Author;
}

export interface FieldWrite {
  /** The operation as the device sent it (set, increment, add, remove; map sets carry a key). */
  op: Exclude<FieldOperation, { op: 'tombstone' }>;
  origin: Origin;
  effectiveTime: number;
  receivedAt: number;
  author: Author;
}

export type FieldResolution =
  /** The write becomes the field's new state with no competing change. */
  | { outcome: 'applied'; value: unknown }
  /** Concurrent changes were combined (counter, set) or the write won an ordering (lww). */
  | { outcome: 'merged'; value: unknown; superseded?: unknown }
  /** The write lost (lww older than the current value); kept in history, state unchanged. */
  | { outcome: 'superseded'; reason: string }
  /** The write is refused (owner policy); kept in history, state unchanged. */
  | { outcome: 'rejected'; reason: string }
  /** Both versions kept; a reviewer must decide; state unchanged until then. */
  | { outcome: 'review'; reason: string }
  /** Server-authoritative: the device value is recorded as an observation only. */
  | { outcome: 'observed'; reason: string };

export type FieldPolicyFunction = (current: FieldState | null, write: FieldWrite, concurrent: boolean) => FieldResolution;
