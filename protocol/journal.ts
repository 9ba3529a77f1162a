import { z } from 'zod';
import { canonicalBytes, canonicalize } from './canonical.js';
import { SIGNATURE_DOMAINS, signInDomain, verifyInDomain, type Signer, type SignerBackend } from './crypto/ed25519.js';
import { base64ToBytes, bytesToBase64, hexToBytes, sha256Hex } from './crypto/hash.js';
import { HLC_PATTERN } from './hlc.js';
import { MAX_OPERATIONS, identifier, operationListSchema, recordActionSchema, requireOperationsUnlessSubmit } from './actions.js';
import { text } from './text.js';
import { base64Signature, hex32 } from './wire/shapes.js';

/**
 * The journal entry format: what a device signs for every action, and what the office stores
 * verbatim. Changing anything here changes hashes, so the format carries a version.
 */
export const JOURNAL_FORMAT_VERSION = 1;

export { base64Signature, hex32 } from './wire/shapes.js';
export { fieldOperationSchema, identifier, recordActionSchema, type FieldOperation, type RecordAction } from './actions.js';

export const sessionCertificateSchema = z.strictObject({
  v: z.literal(JOURNAL_FORMAT_VERSION),
  deviceId: identifier,
  sessionId: identifier,
  operatorId: identifier,
  sessionPublicKey: hex32,
  startedAt: z.number().int().nonnegative(),
  prevChainHead: hex32,
  firstSeq: z.number().int().positive(),
});
export type SessionCertificate = z.infer<typeof sessionCertificateSchema>;

export const signedCertificateSchema = z.strictObject({
  certificate: sessionCertificateSchema,
  signature: base64Signature,
});
export type SignedCertificate = z.infer<typeof signedCertificateSchema>;

/** Badge ids as operators type them at sign-in. */
export const MAX_BADGE_ID_LENGTH = 64;

/**
 * The form a badge id is compared and counted in: trimmed, ASCII letters upper-cased (badges are
 * printed in capitals and field screens show them so; SQLite's NOCASE folds exactly these letters).
 */
export function badgeKey(badgeId: string): string {
  return badgeId.trim().replace(/[a-z]/g, (letter) => letter.toUpperCase());
}

/**
 * Sign-in with one badge was paused after too many wrong PINs. Pauses happen while nobody is
 * signed in, so there is no session key to sign them with then: the next session to open on the
 * device journals the pauses since, oldest first. The badge is what was typed (its badgeKey), known or not.
 */
export const signInPauseSchema = z.strictObject({
  badgeId: text().min(1).max(MAX_BADGE_ID_LENGTH),
  /** Wrong PINs for the badge in a row, the one that started this pause included. */
  failedAttempts: z.number().int().positive(),
  pausedAt: z.number().int().nonnegative(),
  pausedForMs: z.number().int().positive(),
});
export type SignInPause = z.infer<typeof signInPauseSchema>;
export const MAX_PAUSES_PER_ENTRY = 100;

/**
 * `operator-deactivated`: the office withdrew the signed-in operator's access and the device learned it at a pull.
 * `session-limit`: the session reached the device's absolute limit (12 h by default) since its operator signed in.
 */
export const sessionCloseReasonSchema = z.enum(['sign-out', 'idle-lock', 'rotation', 'quit', 'operator-deactivated', 'session-limit']);
export type SessionCloseReason = z.infer<typeof sessionCloseReasonSchema>;

const envelope = {
  v: z.literal(JOURNAL_FORMAT_VERSION),
  deviceId: identifier,
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  prevHash: hex32,
  sessionId: identifier,
  operatorId: identifier,
  deviceTime: z.number().int().nonnegative(),
  hlc: z.string().regex(HLC_PATTERN),
};

const recordEnvelope = {
  ...envelope,
  kind: z.literal('record'),
  recordType: identifier,
  recordId: identifier,
  action: recordActionSchema,
  /** The server version of the record this edit was made on; null for records never synced. */
  baseVersion: z.number().int().nonnegative().nullable(),
};

/** The kinds whose whole content the chain itself needs (no user text in them). */
const chainKinds = [
  z.strictObject({ ...envelope, kind: z.literal('session.open'), certificate: signedCertificateSchema }),
  z.strictObject({ ...envelope, kind: z.literal('session.close'), reason: sessionCloseReasonSchema }),
  /**
   * An operator gave up on an entry the office acknowledged but rejected (the device's failed
   * list): nothing changes in any record; the entry says who discarded which entry, and when.
   */
  z.strictObject({
    ...envelope,
    kind: z.literal('entry.discard'),
    discardedSeq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    discardedHash: hex32,
  }),
] as const;

export const entryBodySchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...recordEnvelope, ops: operationListSchema }).superRefine(requireOperationsUnlessSubmit),
  ...chainKinds,
  z.strictObject({ ...envelope, kind: z.literal('sign-in.paused'), pauses: z.array(signInPauseSchema).min(1).max(MAX_PAUSES_PER_ENTRY) }),
]);
export type EntryBody = z.infer<typeof entryBodySchema>;
export type RecordEntryBody = Extract<EntryBody, { kind: 'record' }>;

export const journalEntrySchema = z.strictObject({
  body: entryBodySchema,
  hash: hex32,
  signature: base64Signature,
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/**
 * What the chain needs of an entry: who, where in the chain, which session, hash and signature,
 * with the action's content only required to be JSON. Verification reads entries this way, so an
 * entry whose content is refused (a NUL in a pasted note, a value no schema allows) still chains:
 * it is stored and answered with a rejection instead of stopping every entry after it.
 */
export const journalEnvelopeSchema = z.strictObject({
  body: z.discriminatedUnion('kind', [
    z.strictObject({ ...recordEnvelope, ops: z.array(z.unknown()).max(MAX_OPERATIONS) }).superRefine(requireOperationsUnlessSubmit),
    ...chainKinds,
    z.strictObject({ ...envelope, kind: z.literal('sign-in.paused'), pauses: z.array(z.unknown()).min(1).max(MAX_PAUSES_PER_ENTRY) }),
  ]),
  hash: hex32,
  signature: base64Signature,
});
export type JournalEnvelope = z.infer<typeof journalEnvelopeSchema>;
export type EnvelopeBody = JournalEnvelope['body'];

export function hashEntryBody(body: EnvelopeBody, canonicalBody = canonicalize(body)): string {
  return sha256Hex(canonicalBody);
}

/** `canonicalBody` saves encoding the body twice when the caller also stores it. */
export function signEntry(body: EntryBody, sessionSigner: Signer, canonicalBody = canonicalize(body)): JournalEntry {
  const hash = hashEntryBody(body, canonicalBody);
  const signature = signInDomain(sessionSigner, SIGNATURE_DOMAINS.journalEntry, hexToBytes(hash));
  return { body, hash, signature: bytesToBase64(signature) };
}

export function signCertificate(certificate: SessionCertificate, deviceSigner: Signer): SignedCertificate {
  const signature = signInDomain(deviceSigner, SIGNATURE_DOMAINS.sessionCertificate, canonicalBytes(certificate));
  return { certificate, signature: bytesToBase64(signature) };
}

export function verifyCertificateSignature(
  signed: SignedCertificate,
  devicePublicKey: Uint8Array,
  backend?: SignerBackend,
): boolean {
  return verifyInDomain(
    devicePublicKey,
    SIGNATURE_DOMAINS.sessionCertificate,
    canonicalBytes(signed.certificate),
    base64ToBytes(signed.signature),
    backend,
  );
}
