import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { operatorRoleSchema, pinLengthSchema } from './shapes.js';
import { officeStampsSchema } from '../time.js';
import { canonicalRecordSchema } from './records.js';
import { deviceHealthSchema } from './health.js';
import { schemaVersionSchema } from './versions.js';

/** Pull. */
export const MAX_PULL_LIMIT = 1000;
export const DEFAULT_PULL_LIMIT = 200;

/**
 * What a cursor the office issues looks like (base64url text). An answer carrying anything else was
 * damaged on the way: stored, it would make every later pull of the device fail.
 */
export const PULL_CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

export const pullRequestSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  /** Opaque; null (or absent) on the first pull. Store the returned cursor only after applying the page. */
  cursor: z.string().max(200).nullable().optional(),
  limit: z.number().int().positive().max(MAX_PULL_LIMIT).optional(),
  /** The device's queue and build, for the office's fleet page. */
  health: deviceHealthSchema.optional(),
  /** The device applies `recordDelta` changes (older apps are sent records whole). */
  deltas: z.boolean().optional(),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

export { operatorRoleSchema, pinLengthSchema, type OperatorRole } from './shapes.js';

/** An operator who may sign in on the devices of a site, with the PIN verifier checked offline. */
export const syncedOperatorSchema = z.strictObject({
  operatorId: identifier,
  badgeId: identifier,
  displayName: z.string(),
  role: operatorRoleSchema,
  pinVerifier: z.string(),
  /** False when the operator was deactivated: remove them from the device. */
  active: z.boolean(),
});
export type SyncedOperator = z.infer<typeof syncedOperatorSchema>;

const valuesSchema = z.record(z.string(), z.unknown());

/**
 * A record's change from a version the device was told of before (protocol/record-delta.ts). The
 * device applies it only to its copy at `baseVersion` with no unsent work on it; any other copy
 * fetches the record whole.
 */
export const recordDeltaSchema = z.strictObject({
  type: identifier,
  id: identifier,
  version: z.number().int().positive(),
  baseVersion: z.number().int().positive(),
  deleted: z.boolean(),
  pendingReview: z.boolean(),
  set: valuesSchema,
  unset: z.array(z.string()),
  entries: z.record(z.string(), z.strictObject({ set: valuesSchema, unset: z.array(z.string()) })),
});
export type RecordDelta = z.infer<typeof recordDeltaSchema>;

/**
 * A record change is the record's state at one version, whole or as a delta; the versions of a
 * record arrive in order, each at most once. An operator change is the operator's state when the
 * page was read.
 */
export const changeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('record'), record: canonicalRecordSchema }),
  z.strictObject({ kind: z.literal('recordDelta'), delta: recordDeltaSchema }),
  z.strictObject({ kind: z.literal('operator'), operator: syncedOperatorSchema }),
]);
export type Change = z.infer<typeof changeSchema>;

export const pullResponseSchema = z.strictObject({
  changes: z.array(changeSchema),
  /** Pass it to the next pull. Changes committed while paging are never skipped nor repeated. */
  cursor: z.string().regex(PULL_CURSOR_PATTERN, 'not a cursor the office issues'),
  hasMore: z.boolean(),
  /** The office's stamps on this exchange: the device's next clock sample. */
  time: officeStampsSchema,
  /** The device's site's policy as it stands: the fewest digits a PIN may have there. */
  site: z.strictObject({ pinMinLength: pinLengthSchema }),
});
export type PullResponse = z.infer<typeof pullResponseSchema>;
