import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { hex32 } from './shapes.js';
import { STATE_BUCKETS } from '../state-hash.js';
import { canonicalRecordSchema } from './records.js';
import { schemaVersionSchema } from './versions.js';

/**
 * State check (anti-entropy): does the device hold what the office holds for it?.
 *
 * POST /v1/sync/state (device; `stateRequestSchema`) → `stateSummarySchema`: the state hash
 *      (protocol/state-hash.ts) of the records of the device's scope, less those it names in
 *      `exclude` (its unsent work) and those closed before `closedBefore` (which it evicts).
 * POST /v1/sync/state/buckets (device; `stateBucketsRequestSchema`) → `stateBucketsSchema`: the
 *      leaves of some buckets of that set, to find the records that differ.
 * POST /v1/sync/records (device; `fetchRecordsRequestSchema`) → `fetchRecordsSchema`: the
 *      canonical state of the named records the device may see; one it may not see, or that the
 *      office does not hold, is left out.
 */
export const MAX_STATE_EXCLUDED = 1000;
export const MAX_FETCH_RECORDS = 200;

export const recordKeySchema = z.strictObject({ type: identifier, id: identifier });

export const stateRequestSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  closedBefore: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  exclude: z.array(recordKeySchema).max(MAX_STATE_EXCLUDED),
});
export type StateRequest = z.infer<typeof stateRequestSchema>;

export const stateSummarySchema = z.strictObject({
  records: z.number().int().nonnegative(),
  buckets: z.array(hex32).length(STATE_BUCKETS),
  root: hex32,
});

export const stateBucketsRequestSchema = stateRequestSchema.extend({
  buckets: z.array(z.number().int().nonnegative().max(STATE_BUCKETS - 1)).min(1).max(STATE_BUCKETS),
});
export type StateBucketsRequest = z.infer<typeof stateBucketsRequestSchema>;

export const stateBucketsSchema = z.strictObject({
  /** By bucket, in key order within each. */
  records: z.array(z.strictObject({ type: identifier, id: identifier, version: z.number().int().positive(), leaf: hex32 })),
});

export const fetchRecordsRequestSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  keys: z.array(recordKeySchema).min(1).max(MAX_FETCH_RECORDS),
});

export const fetchRecordsSchema = z.strictObject({ records: z.array(canonicalRecordSchema) });
