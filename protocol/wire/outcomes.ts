import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { base64Signature, hex32 } from './shapes.js';

/** What the office decided about an entry or an office write (push answers, office writes, the audit history). */

/**
 * accepted: applied as sent. merged: applied, combined with concurrent changes (or some fields
 * lost an ordering, were refused or only observed; see `fields`). conflict: a reviewer must
 * decide; the record is pending review. rejected: nothing applied, see `reason`.
 */
export const entryOutcomeSchema = z.enum(['accepted', 'merged', 'conflict', 'rejected']);
export type EntryOutcome = z.infer<typeof entryOutcomeSchema>;

/**
 * Known machine-readable reasons. Chain verification reasons (protocol/verify.ts ChainFailureCode)
 * mean the entry was NOT stored (not acknowledged; fix or re-sign and resend). Every other reason
 * comes with an acknowledged entry: it is stored, part of the chain, and must not be sent again.
 * Clients must tolerate codes they do not know (treat them as rejected with the message shown).
 */
export const ENTRY_REASONS = [
  // chain verification (not acknowledged)
  'malformed',
  'wrong-device',
  'sequence-duplicate',
  'sequence-reordered',
  'sequence-gap',
  'broken-link',
  'hash-mismatch',
  'non-canonical-signature',
  'signed-by-device-key',
  'bad-signature',
  'no-session',
  'session-closed',
  'session-mismatch',
  'bad-certificate',
  /** The sequence number was acknowledged before with a different entry: fork; the device is flagged. */
  'sequence-reused',
  // acknowledged, but not (fully) applied
  'unknown-record-type',
  'out-of-scope',
  'operator-not-allowed',
  'field-unknown-to-client',
  'record-exists',
  'unknown-record',
  'record-deleted',
  'record-immutable',
  'unknown-field',
  'wrong-operation',
  'invalid-value',
  'immutable-field',
  'missing-field',
  'not-deletable',
  'not-submittable',
  'incomplete',
  'invalid-correction',
  'policy-rejected',
  /** The entry chains, but holds text no string may hold (protocol/text.ts); nothing of it was applied. */
  'invalid-text',
  /** The entry chains, but its action does not match the journal format; nothing of it was applied. */
  'invalid-content',
] as const;
export type EntryReason = (typeof ENTRY_REASONS)[number];
export const entryReasonSchema = z.string().regex(/^[a-z][a-z0-9-]*$/);

/** Per field (or map key) outcome of a record entry, as the conflict policy decided it. */
export const fieldOutcomeSchema = z.strictObject({
  field: z.string(),
  key: z.string().optional(),
  outcome: z.enum(['applied', 'merged', 'superseded', 'rejected', 'review', 'observed']),
  reason: z.string().optional(),
});
export type FieldOutcome = z.infer<typeof fieldOutcomeSchema>;

/** Signed by the server: "I hold this device's chain up to seq, ending in head". */
export const anchorReceiptSchema = z.strictObject({
  deviceId: identifier,
  seq: z.number().int().nonnegative(),
  head: hex32,
  serverTime: z.number().int().nonnegative(),
  signature: base64Signature,
});
export type AnchorReceipt = z.infer<typeof anchorReceiptSchema>;
export type AnchorReceiptPayload = Omit<AnchorReceipt, 'signature'>;
