import { z } from 'zod';
import { canonicalBytes } from '../canonical.js';
import { SIGNATURE_DOMAINS, type Signer, type SignerBackend, signInDomain, verifyInDomain } from '../crypto/ed25519.js';
import { base64ToBytes, bytesToBase64 } from '../crypto/hash.js';
import { identifier } from '../field-operations.js';
import { text } from '../text.js';
import { type AnchorReceipt, type AnchorReceiptPayload, anchorReceiptSchema, entryOutcomeSchema, entryReasonSchema, fieldOutcomeSchema } from './outcomes.js';
import { hex32 } from './shapes.js';
import { clockSampleSchema, officeStampsSchema } from '../time.js';
import { canonicalRecordSchema } from './records.js';
import { schemaVersionSchema } from './versions.js';

/**
 * Push. A batch of up to 2,000 entries: each push costs the office a fixed part (the device's lock
 * and chain, a statement per table) and the device a round trip, so a backlog of per-answer
 * inspection entries drains in a few large requests (issue 7: 500 → 2,000 cut a 10,000-action
 * backlog's drain time by a third). The byte budget (half the body limit) ends a batch of large
 * entries sooner.
 */
export const MAX_PUSH_ENTRIES = 2000;
/** Request body limit for push, in bytes. */
export const MAX_PUSH_BODY_BYTES = 8 * 1024 * 1024;
/**
 * How long a device waits for the answer to a push of n entries: `baseMs + n × perEntryMs`, at most
 * `maxMs`; no sync request is given less than `baseMs`. The office keeps a request waiting for its
 * turn only a fraction of `baseMs`, so that the device is still there to hear the answer.
 */
export const PUSH_TIMEOUT = { baseMs: 10_000, perEntryMs: 70, maxMs: 40_000 } as const;

export const pushRequestSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  deviceId: identifier,
  /** The device clock when the request was sent: the office's receipt bounds the clock offset with it. */
  sentAt: z.number().int().nonnegative(),
  /** The device's best recent exchange with the office, which bounds its clock offset (protocol/time.ts). */
  clockSample: clockSampleSchema.nullable().optional(),
  /** The app build sending it, when known: an administrator may require a build of a device. */
  appVersion: text().min(1).max(40).optional(),
  /**
   * Consecutive journal entries (`journalEntrySchema`) in sequence order, oldest first, full or
   * linked (hashes left out, see linked-entries.ts). The office
   * reads each on its own (server/sync/read-entries.ts): one it cannot take is answered in its
   * result, never by refusing the request.
   */
  entries: z.array(z.unknown()).min(1).max(MAX_PUSH_ENTRIES),
  /**
   * True: answer only for the entries the office did not simply take (see `leanResults`). Every
   * entry it leaves out was accepted as sent and is anchored by the receipt, whose head hash
   * vouches for the whole chain up to it; echoing each entry's hash and "applied" cost a
   * per-answer inspection entry half the bytes of the entry itself (issue 7).
   */
  leanAnswer: z.boolean().optional(),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

export * from './outcomes.js';

export const entryResultSchema = z.strictObject({
  seq: z.number().int().positive(),
  hash: hex32,
  outcome: entryOutcomeSchema,
  /** True when the entry is stored and part of the acknowledged chain (seq ≤ receipt.seq). */
  acknowledged: z.boolean(),
  reason: entryReasonSchema.optional(),
  message: z.string().optional(),
  fields: z.array(fieldOutcomeSchema).optional(),
  /** The record the entry touched and its server version after the entry. */
  record: z.strictObject({ type: identifier, id: identifier, version: z.number().int().nonnegative() }).optional(),
});
export type EntryResult = z.infer<typeof entryResultSchema>;


export const pushResponseSchema = z.strictObject({
  /**
   * One result per entry sent, in the same order (a lean answer: only those `leanResults` keeps).
   * A resent entry gets its stored result again.
   */
  results: z.array(entryResultSchema),
  /** Canonical state of every record the entries touched (records that exist on the server). */
  records: z.array(canonicalRecordSchema),
  receipt: anchorReceiptSchema,
  /** The office's stamps on this exchange: the device's next clock sample. */
  time: officeStampsSchema,
  /**
   * How the office read the device clock for this push: the correction it applied to entry times
   * and, when it could not trust the clock at all, why (entries were then ordered by receipt).
   */
  clock: z.strictObject({ correctionMs: z.number().int(), flag: z.enum(['clock-inconsistent', 'clock-skew']).nullable() }),
});
export type PushResponse = z.infer<typeof pushResponseSchema>;

/** An entry the office took exactly as sent: acknowledged, accepted, every field applied, nothing to say. */
function plainlyAccepted(result: EntryResult): boolean {
  return (
    result.acknowledged &&
    result.outcome === 'accepted' &&
    result.reason === undefined &&
    result.message === undefined &&
    (result.fields ?? []).every((field) => field.outcome === 'applied' && field.reason === undefined)
  );
}

/** The results a lean answer carries: those of entries not plainly accepted. */
export function leanResults(results: readonly EntryResult[]): EntryResult[] {
  return results.filter((result) => !plainlyAccepted(result));
}

/**
 * One result per sent entry from a lean answer: the ones it carries, matched by sequence number in
 * order, and "accepted" for each entry it leaves out, which the receipt must anchor. Null when the
 * answer cannot be for these entries (a result for an entry not sent, out of order, or an entry
 * left out that the receipt does not cover).
 */
export function expandLeanResults(sent: readonly { seq: number; hash: string }[], carried: readonly EntryResult[], receipt: Pick<AnchorReceipt, 'seq'>): EntryResult[] | null {
  const results: EntryResult[] = [];
  let next = 0;
  for (const { seq, hash } of sent) {
    const result = carried[next];
    if (result?.seq === seq) {
      results.push(result);
      next++;
    } else if (seq <= receipt.seq) {
      results.push({ seq, hash, outcome: 'accepted', acknowledged: true });
    } else {
      return null;
    }
  }
  return next === carried.length ? results : null;
}

export function signAnchorReceipt(payload: AnchorReceiptPayload, serverSigner: Signer): AnchorReceipt {
  const { deviceId, seq, head, serverTime } = payload;
  const signature = signInDomain(serverSigner, SIGNATURE_DOMAINS.anchorReceipt, canonicalBytes({ deviceId, seq, head, serverTime }));
  return { deviceId, seq, head, serverTime, signature: bytesToBase64(signature) };
}

export function verifyAnchorReceipt(receipt: AnchorReceipt, serverPublicKey: Uint8Array, backend?: SignerBackend): boolean {
  const { signature, ...payload } = receipt;
  return verifyInDomain(serverPublicKey, SIGNATURE_DOMAINS.anchorReceipt, canonicalBytes(payload), base64ToBytes(signature), backend);
}
