import { z } from 'zod';
import { identifier } from '../field-operations.js';

/** Canonical records (what the server holds; devices replace their copy with it). */
export const canonicalRecordSchema = z.strictObject({
  type: identifier,
  id: identifier,
  /** Server version; a device bases its next edit on it (`baseVersion` in the journal entry). */
  version: z.number().int().positive(),
  fields: z.record(z.string(), z.unknown()),
  deleted: z.boolean(),
  /** A reviewer must decide between competing versions; devices show the record as pending. */
  pendingReview: z.boolean(),
});
export type CanonicalRecord = z.infer<typeof canonicalRecordSchema>;
