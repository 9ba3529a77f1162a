import { z } from 'zod';
import { canonicalBytes } from './canonical.js';
import { SIGNATURE_DOMAINS, signInDomain, verifyInDomain, type Signer, type SignerBackend } from './crypto/ed25519.js';
import { base64ToBytes, bytesToBase64, hexToBytes } from './crypto/hash.js';
import { base64Signature, hex32, identifier } from './journal.js';
import { MAX_PIN_LENGTH, MIN_PIN_LENGTH } from './pin.js';
import { STATE_BUCKETS } from './state-hash.js';
import { text } from './text.js';
import { clockSampleSchema, officeStampsSchema } from './time.js';

/**
 * The HTTP contract between devices and the office sync service. Client and server both parse
 * with these schemas, so a shape change is made here once.
 *
 * Endpoints (all JSON; bodies limited in size; every error answers with `apiErrorSchema`):
 * - `POST /v1/enroll` (no auth: the one-time token is the credential) → `enrollResponseSchema`
 * - `POST /v1/sync/push` (device bearer credential) → `pushResponseSchema`
 * - `POST /v1/sync/pull` (device bearer credential) → `pullResponseSchema`
 * - `GET  /v1/sync/events` (device bearer credential; Server-Sent Events, see `SYNC_EVENTS`)
 * - `POST /v1/sync/state`, `/v1/sync/state/buckets`, `/v1/sync/records` (device bearer credential; see State check)
 * - `GET  /health` (process alive), `GET /ready` (database reachable and migrated)
 *
 * Device requests authenticate with `Authorization: Bearer <credential>` (the credential returned
 * by enrollment). Requests with a body carry `schemaVersion`; GET requests carry the
 * `SCHEMA_VERSION_HEADER` header. A revoked device gets 403 `device-revoked` on every endpoint.
 */

// ---------------------------------------------------------------------------------------------
// Schema versions
// ---------------------------------------------------------------------------------------------

/** The wire and record schema this build speaks. Bump it when a record field or a shape changes. */
export const CURRENT_SCHEMA_VERSION = 1;
/** The oldest client schema the server still accepts (older ones get `update-required`). */
export const MINIMUM_SCHEMA_VERSION = 1;
export const SCHEMA_VERSION_HEADER = 'waypost-schema-version';

/**
 * Record fields added after schema version 1, by the version that introduced them. A client
 * older than a field's version cannot know it: the server refuses its operations on that field
 * (`field-unknown-to-client`) and leaves the field out of what it sends that client.
 */
export const FIELDS_ADDED_IN_VERSION: Readonly<Record<number, readonly { recordType: string; field: string }[]>> = {};
export type FieldHistory = typeof FIELDS_ADDED_IN_VERSION;

/** Whether a client speaking `clientVersion` knows `recordType.field`. */
export function clientKnowsField(
  clientVersion: number,
  recordType: string,
  field: string,
  history: Readonly<Record<number, readonly { recordType: string; field: string }[]>> = FIELDS_ADDED_IN_VERSION,
): boolean {
  for (const [version, added] of Object.entries(history)) {
    if (Number(version) > clientVersion && added.some((f) => f.recordType === recordType && f.field === field)) return false;
  }
  return true;
}

/** Version 0 is what a client that predates versioning would send: always below the window. */
export const schemaVersionSchema = z.number().int().nonnegative().max(1_000_000);

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * Machine-readable error codes of whole requests (per-entry push outcomes use `EntryReason`).
 * 400 invalid-request / invalid-cursor / device-mismatch(403) / unauthorized(401) / device-revoked(403)
 * / forbidden(403) / enrollment-token-invalid(401) / enrollment-token-expired(401)
 * / enrollment-token-used(401) / enrollment-kind-mismatch(400) / bad-enrollment-proof(400) / weak-public-key(400)
 * / device-already-enrolled(409) / not-found(404) / payload-too-large(413)
 * / update-required(426) / schema-version-unsupported(400) / unavailable(503) / internal(500).
 */
export const API_ERROR_CODES = [
  'invalid-request',
  'invalid-cursor',
  'unauthorized',
  'forbidden',
  'device-revoked',
  'device-mismatch',
  'enrollment-token-invalid',
  'enrollment-token-expired',
  'enrollment-token-used',
  'enrollment-kind-mismatch',
  'bad-enrollment-proof',
  /** 400: the key to enroll is of small order or not canonically encoded; the token is not spent. */
  'weak-public-key',
  'device-already-enrolled',
  'not-found',
  'conflict',
  'payload-too-large',
  /** 415: the body is not of a type the endpoint takes (JSON endpoints take application/json). */
  'unsupported-media-type',
  'update-required',
  'schema-version-unsupported',
  'unavailable',
  'internal',
  /** 409: an attachment chunk was sent at another offset than the bytes received so far (see `received`). */
  'upload-offset-mismatch',
  /** 422: the uploaded bytes do not hash to the attachment's name; nothing was kept. */
  'attachment-hash-mismatch',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const apiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** Where the request was wrong (for invalid-request): a dotted path and the problem. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

/** HTTP 426: the client must update before it can sync again; the app shows the forced-update flow. */
export const updateRequiredSchema = apiErrorSchema.extend({
  code: z.literal('update-required'),
  minimumVersion: z.number().int(),
  currentVersion: z.number().int(),
});
export type UpdateRequired = z.infer<typeof updateRequiredSchema>;

// ---------------------------------------------------------------------------------------------
// Enrollment
// ---------------------------------------------------------------------------------------------

export const deviceKindSchema = z.enum(['cab', 'kiosk']);
export type DeviceKind = z.infer<typeof deviceKindSchema>;

/** What the device signs with its identity key to prove it holds the key it registers. */
export const enrollmentClaimSchema = z.strictObject({
  token: z.string().min(16).max(200),
  deviceId: identifier,
  publicKey: hex32,
  kind: deviceKindSchema,
});
export type EnrollmentClaim = z.infer<typeof enrollmentClaimSchema>;

export const enrollRequestSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  claim: enrollmentClaimSchema,
  /** Signature of the canonical claim in the enrollment domain, by the device identity key. */
  proof: base64Signature,
  label: text().trim().min(1).max(200).optional(),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const enrollResponseSchema = z.strictObject({
  deviceId: identifier,
  kind: deviceKindSchema,
  siteId: identifier,
  organisationId: identifier,
  /** Bearer credential for every later request. Shown once; the server keeps only its hash. */
  credential: z.string().min(16).max(200),
  /** The key that signs anchor receipts (hex Ed25519 public key). */
  serverPublicKey: hex32,
  schema: z.strictObject({ minimum: z.number().int(), current: z.number().int() }),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

export function signEnrollmentClaim(claim: EnrollmentClaim, deviceSigner: Signer): string {
  return bytesToBase64(signInDomain(deviceSigner, SIGNATURE_DOMAINS.enrollment, canonicalBytes(claim)));
}

export function verifyEnrollmentProof(claim: EnrollmentClaim, proof: string, backend?: SignerBackend): boolean {
  return verifyInDomain(hexToBytes(claim.publicKey), SIGNATURE_DOMAINS.enrollment, canonicalBytes(claim), base64ToBytes(proof), backend);
}

// ---------------------------------------------------------------------------------------------
// Canonical records (what the server holds; devices replace their copy with it)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Push
// ---------------------------------------------------------------------------------------------

export const MAX_PUSH_ENTRIES = 500;
/** Request body limit for push, in bytes (500 entries of a few KB each, with headroom). */
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
  /**
   * Consecutive journal entries (`journalEntrySchema`) in sequence order, oldest first. The office
   * reads each on its own (server/sync/read-entries.ts): one it cannot take is answered in its
   * result, never by refusing the request.
   */
  entries: z.array(z.unknown()).min(1).max(MAX_PUSH_ENTRIES),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

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

export const pushResponseSchema = z.strictObject({
  /** One result per entry sent, in the same order. A resent entry gets its stored result again. */
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

export function signAnchorReceipt(payload: AnchorReceiptPayload, serverSigner: Signer): AnchorReceipt {
  const { deviceId, seq, head, serverTime } = payload;
  const signature = signInDomain(serverSigner, SIGNATURE_DOMAINS.anchorReceipt, canonicalBytes({ deviceId, seq, head, serverTime }));
  return { deviceId, seq, head, serverTime, signature: bytesToBase64(signature) };
}

export function verifyAnchorReceipt(receipt: AnchorReceipt, serverPublicKey: Uint8Array, backend?: SignerBackend): boolean {
  const { signature, ...payload } = receipt;
  return verifyInDomain(serverPublicKey, SIGNATURE_DOMAINS.anchorReceipt, canonicalBytes(payload), base64ToBytes(signature), backend);
}

// ---------------------------------------------------------------------------------------------
// Pull
// ---------------------------------------------------------------------------------------------

export const MAX_PULL_LIMIT = 1000;
export const DEFAULT_PULL_LIMIT = 200;

export const pullRequestSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  /** Opaque; null (or absent) on the first pull. Store the returned cursor only after applying the page. */
  cursor: z.string().max(200).nullable().optional(),
  limit: z.number().int().positive().max(MAX_PULL_LIMIT).optional(),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

export const operatorRoleSchema = z.enum(['inspector', 'gate-clerk']);
export const pinLengthSchema = z.number().int().min(MIN_PIN_LENGTH).max(MAX_PIN_LENGTH);
export type OperatorRole = z.infer<typeof operatorRoleSchema>;

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

/**
 * A record change is the record's state at one version; the versions of a record arrive in
 * order, each exactly once. An operator change is the operator's state when the page was read.
 */
export const changeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('record'), record: canonicalRecordSchema }),
  z.strictObject({ kind: z.literal('operator'), operator: syncedOperatorSchema }),
]);
export type Change = z.infer<typeof changeSchema>;

export const pullResponseSchema = z.strictObject({
  changes: z.array(changeSchema),
  /** Pass it to the next pull. Changes committed while paging are never skipped nor repeated. */
  cursor: z.string(),
  hasMore: z.boolean(),
  /** The office's stamps on this exchange: the device's next clock sample. */
  time: officeStampsSchema,
  /** The device's site's policy as it stands: the fewest digits a PIN may have there. */
  site: z.strictObject({ pinMinLength: pinLengthSchema }),
});
export type PullResponse = z.infer<typeof pullResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Live notification (SSE on GET /v1/sync/events)
// ---------------------------------------------------------------------------------------------

/**
 * `ready` once connected; `changes` when something for the device's site was committed (pull
 * then); comment lines (`: keep-alive`) keep proxies from closing the stream. `revoked` is the last
 * event of a stream whose device an administrator revoked: the office ends it at once, on every
 * instance, and the device's requests now get 403 `device-revoked`. The data of every event is JSON.
 */
export const SYNC_EVENTS = { ready: 'ready', changes: 'changes', revoked: 'revoked' } as const;
export const syncEventDataSchema = z.object({ siteId: identifier, at: z.number().int() });
export type SyncEventData = z.infer<typeof syncEventDataSchema>;

// ---------------------------------------------------------------------------------------------
// Office API (console and admin tools; bearer office API token with the role named)
// ---------------------------------------------------------------------------------------------

/**
 * admin:      POST /v1/admin/organisations, /v1/admin/sites, PATCH /v1/admin/sites/:id, POST /v1/admin/operators,
 *             PATCH /v1/admin/operators/:id, POST /v1/admin/users, /v1/admin/enrollment-tokens,
 *             GET /v1/admin/devices, POST /v1/admin/devices/:id/revoke, GET /v1/admin/devices/:id/flags
 * dispatcher: POST /v1/office/work-orders, PATCH /v1/office/work-orders/:id,
 *             DELETE /v1/office/work-orders/:id, GET /v1/office/records/:type/:id (also reviewer)
 * Ids are optional on create (the server makes one); given ids must be unused.
 */
export const officeRoleSchema = z.enum(['dispatcher', 'reviewer', 'admin']);
export type OfficeRole = z.infer<typeof officeRoleSchema>;

const displayName = text().trim().min(1).max(200);

export const createOrganisationSchema = z.strictObject({ id: identifier.optional(), name: displayName });
/** `pinMinLength`: the fewest digits an operator's PIN may have at the site (default 4); PINs set before a raise keep working. */
export const createSiteSchema = z.strictObject({ id: identifier.optional(), organisationId: identifier, name: displayName, pinMinLength: pinLengthSchema.optional() });
export const updateSiteSchema = z
  .strictObject({ name: displayName.optional(), pinMinLength: pinLengthSchema.optional() })
  .refine((value) => Object.keys(value).length > 0, 'nothing to change');
export const createOperatorSchema = z.strictObject({
  id: identifier.optional(),
  siteId: identifier,
  badgeId: identifier,
  displayName,
  role: operatorRoleSchema,
  pin: z.string().regex(/^\d{4,12}$/, 'a PIN is 4 to 12 digits'),
});
export const updateOperatorSchema = z
  .strictObject({ displayName: displayName.optional(), pin: z.string().regex(/^\d{4,12}$/, 'a PIN is 4 to 12 digits').optional(), active: z.boolean().optional() })
  .refine((value) => Object.keys(value).length > 0, 'nothing to change');
export const createOfficeUserSchema = z.strictObject({
  id: identifier.optional(),
  organisationId: identifier,
  name: displayName,
  role: officeRoleSchema,
});
/** The API token is in the response only; the server keeps its hash. */
export const createdOfficeUserSchema = z.strictObject({ id: identifier, organisationId: identifier, name: z.string(), role: officeRoleSchema, token: z.string() });
export const createEnrollmentTokenSchema = z.strictObject({
  siteId: identifier,
  kind: deviceKindSchema,
  /** Lifetime; default 24 h, at most 30 days. */
  ttlMs: z.number().int().min(60_000).max(30 * 24 * 60 * 60 * 1000).optional(),
});
export const createdEnrollmentTokenSchema = z.strictObject({ token: z.string(), siteId: identifier, kind: deviceKindSchema, expiresAt: z.number().int() });

export const deviceSummarySchema = z.strictObject({
  id: identifier,
  siteId: identifier,
  kind: deviceKindSchema,
  label: z.string().nullable(),
  enrolledAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
  flagged: z.boolean(),
  chainSeq: z.number().int(),
  lastSeenAt: z.number().int().nullable(),
});
export type DeviceSummary = z.infer<typeof deviceSummarySchema>;

const workOrderFieldValues = z.strictObject({
  title: text().optional(),
  description: text().optional(),
  equipmentNumber: text().optional(),
  assignee: identifier.nullable().optional(),
  dueDate: z.number().int().nonnegative().nullable().optional(),
  priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
  status: z.enum(['open', 'in-progress', 'done', 'cancelled']).optional(),
  statusNote: text().optional(),
  location: text().optional(),
});
export const createWorkOrderSchema = workOrderFieldValues.extend({ id: identifier.optional(), siteId: identifier, title: text() });
export const updateWorkOrderSchema = z.strictObject({
  /** The version the dispatcher edited; a field changed since then counts as a concurrent edit. */
  baseVersion: z.number().int().positive().optional(),
  set: workOrderFieldValues.refine((value) => Object.keys(value).length > 0, 'nothing to change'),
});
export const deleteWorkOrderSchema = z.strictObject({ baseVersion: z.number().int().positive().optional() });

/** The answer to an office write: how the policies settled it, and the record as it now stands. */
export const officeWriteResponseSchema = z.strictObject({
  outcome: entryOutcomeSchema,
  reason: entryReasonSchema.optional(),
  message: z.string().optional(),
  fields: z.array(fieldOutcomeSchema),
  record: canonicalRecordSchema.nullable(),
});
export type OfficeWriteResponse = z.infer<typeof officeWriteResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Review queue (office: reviewer or admin decide; dispatchers may read the queue)
// ---------------------------------------------------------------------------------------------

/**
 * GET  /v1/office/review-items?status=&siteId=&recordType=&after=&limit=  → `reviewItemPageSchema`
 * POST /v1/office/review-items/:id/resolve  (`resolveReviewItemSchema`)   → `resolvedReviewItemSchema`
 * The decision becomes an office write on the record (a new version when anything devices see
 * changed: the field's value, or the record no longer pending review), so it reaches devices on pull.
 */
const decimal = (max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().nonnegative().max(max));

export const MAX_REVIEW_PAGE = 200;

export const listReviewItemsQuerySchema = z.strictObject({
  status: z.enum(['open', 'resolved']).optional(),
  siteId: identifier.optional(),
  recordType: identifier.optional(),
  /** Items with a larger id than this (the previous page's `nextAfter`). */
  after: decimal(Number.MAX_SAFE_INTEGER).optional(),
  limit: decimal(MAX_REVIEW_PAGE).pipe(z.number().positive()).optional(),
});

/** Who made a write: an operator on a device, or an office user. */
export const writeAuthorSchema = z.strictObject({
  origin: z.enum(['office', 'field']),
  operatorId: identifier.nullable(),
  userId: identifier.nullable(),
  deviceId: identifier.nullable(),
  seq: z.number().int().positive().nullable(),
  deviceTime: z.number().int().nullable(),
  receivedAt: z.number().int(),
});
export type WriteAuthor = z.infer<typeof writeAuthorSchema>;

export const reviewChoiceSchema = z.enum(['current', 'proposed', 'merged']);
export type ReviewChoice = z.infer<typeof reviewChoiceSchema>;

export const reviewItemSchema = z.strictObject({
  id: z.number().int().positive(),
  recordType: identifier,
  recordId: identifier,
  siteId: identifier,
  /** The field in question; `*` when an update arrived for a deleted record. */
  field: z.string(),
  key: z.string().nullable(),
  reason: z.string(),
  /** The value in place when the item was filed, and the competing one. */
  current: z.unknown(),
  proposed: z.unknown(),
  /** The write whose value is `proposed`. */
  proposedBy: writeAuthorSchema,
  status: z.enum(['open', 'resolved']),
  createdAt: z.number().int(),
  decision: z
    .strictObject({
      choice: reviewChoiceSchema,
      value: z.unknown(),
      reason: z.string(),
      userId: identifier,
      userName: z.string(),
      decidedAt: z.number().int(),
      /** The record version the decision produced; null when it changed nothing devices see. */
      version: z.number().int().positive().nullable(),
    })
    .nullable(),
});
export type ReviewItem = z.infer<typeof reviewItemSchema>;

export const reviewItemPageSchema = z.strictObject({
  items: z.array(reviewItemSchema),
  /** Pass as `after` for the next page; null when this was the last. */
  nextAfter: z.number().int().nullable(),
});

export const resolveReviewItemSchema = z
  .strictObject({
    /** Keep the value in place, take the proposed one, or write `value` (merged by the reviewer). */
    choice: reviewChoiceSchema,
    value: z.unknown().optional(),
    reason: text().trim().min(1, 'say why').max(2000),
    /** The record version the reviewer looked at; a later change makes the decision a 409. */
    expectedVersion: z.number().int().positive().optional(),
  })
  .refine((decision) => (decision.choice === 'merged') === (decision.value !== undefined), {
    message: 'a merged decision carries the value to keep, and only a merged decision does',
    path: ['value'],
  });
export type ResolveReviewItem = z.infer<typeof resolveReviewItemSchema>;

export const resolvedReviewItemSchema = z.strictObject({ item: reviewItemSchema, record: canonicalRecordSchema });

// ---------------------------------------------------------------------------------------------
// Audit (office: reviewer or admin)
// ---------------------------------------------------------------------------------------------

/**
 * GET /v1/audit/records/:type/:id/history → `recordHistorySchema`
 * GET /v1/audit/export?deviceId=&fromSeq=&toSeq=  or  ?from=&to=  (server-received time, ms, to
 *     exclusive) → JSON lines (`AUDIT_EXPORT_CONTENT_TYPE`), one `auditExportLineSchema` per line.
 */
export const fieldDecisionSchema = z.strictObject({
  field: z.string(),
  key: z.string().optional(),
  op: z.string(),
  outcome: fieldOutcomeSchema.shape.outcome,
  reason: z.string().optional(),
  written: z.unknown(),
  before: z.unknown(),
  after: z.unknown(),
});

/** A value that did not become (or stay) the record's: kept here so nothing that lost is lost. */
export const losingVersionSchema = z.strictObject({
  field: z.string(),
  key: z.string().optional(),
  /** superseded, rejected, review or observed (policy), or not-chosen (a reviewer's decision). */
  outcome: z.string(),
  value: z.unknown(),
  /** What the field held instead. */
  kept: z.unknown(),
});

export const historyWriteSchema = z.strictObject({
  writeId: z.number().int().positive(),
  kind: z.enum(['device-entry', 'office-edit', 'review-decision']),
  action: z.string(),
  author: writeAuthorSchema.extend({ operatorName: z.string().nullable(), userName: z.string().nullable() }),
  /** The journal entry's hash (device entries), to find it in an export. */
  entryHash: hex32.nullable(),
  /** Server-received minus device time. */
  gapMs: z.number().int().nullable(),
  effectiveTime: z.number().int(),
  skewFlagged: z.boolean(),
  outcome: entryOutcomeSchema,
  reason: z.string().nullable(),
  message: z.string().nullable(),
  fields: z.array(fieldDecisionSchema),
  losingVersions: z.array(losingVersionSchema),
  /** The version this write produced; null when it changed nothing. */
  versionAfter: z.number().int().positive().nullable(),
  reviewItemIds: z.array(z.number().int().positive()),
  review: z
    .strictObject({ itemId: z.number().int().positive(), choice: reviewChoiceSchema, reason: z.string() })
    .nullable(),
});
export type HistoryWrite = z.infer<typeof historyWriteSchema>;

export const recordHistorySchema = z.strictObject({
  record: canonicalRecordSchema.nullable(),
  versions: z.array(
    z.strictObject({
      version: z.number().int().positive(),
      fields: z.record(z.string(), z.unknown()),
      deleted: z.boolean(),
      pendingReview: z.boolean(),
      writeId: z.number().int().positive(),
      createdAt: z.number().int(),
    }),
  ),
  writes: z.array(historyWriteSchema),
});
export type RecordHistory = z.infer<typeof recordHistorySchema>;

export const AUDIT_EXPORT_FORMAT = 'waypost-audit-export';
export const AUDIT_EXPORT_CONTENT_TYPE = 'application/x-ndjson';

export const auditExportQuerySchema = z.union([
  z.strictObject({ deviceId: identifier, fromSeq: decimal(Number.MAX_SAFE_INTEGER).optional(), toSeq: decimal(Number.MAX_SAFE_INTEGER).optional() }),
  z.strictObject({ from: decimal(Number.MAX_SAFE_INTEGER), to: decimal(Number.MAX_SAFE_INTEGER) }),
]);

/**
 * The lines of an export, in order: one header; then per device a `device` line (its identity key
 * and where the range starts: the chain head before it and the session in force, whose certificate
 * the device key signed), its checkpoints (if any), its entries in sequence order exactly as
 * signed, and a server receipt for the range's last entry.
 */
export const auditExportLineSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('header'),
    format: z.literal(AUDIT_EXPORT_FORMAT),
    version: z.literal(1),
    exportedAt: z.number().int(),
    exportedBy: identifier,
    /** The key that signs receipts; pin it out of band rather than trusting this line. */
    serverPublicKey: hex32,
    range: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({
    type: z.literal('device'),
    deviceId: identifier,
    publicKey: hex32,
    siteId: identifier,
    fromSeq: z.number().int().positive(),
    toSeq: z.number().int().positive(),
    start: z.strictObject({ seq: z.number().int().nonnegative(), head: hex32, session: z.strictObject({ certificate: z.unknown(), closed: z.boolean() }).nullable() }),
  }),
  z.strictObject({ type: z.literal('checkpoint'), deviceId: identifier, checkpoint: z.unknown() }),
  z.strictObject({
    type: z.literal('entry'),
    deviceId: identifier,
    seq: z.number().int().positive(),
    receivedAt: z.number().int(),
    gapMs: z.number().int(),
    entry: z.unknown(),
  }),
  z.strictObject({ type: z.literal('receipt'), deviceId: identifier, receipt: anchorReceiptSchema }),
]);
export type AuditExportLine = z.infer<typeof auditExportLineSchema>;

// ---------------------------------------------------------------------------------------------
// Attachments (photos, signatures), content-addressed by SHA-256, uploaded in resumable chunks
// ---------------------------------------------------------------------------------------------

/**
 * POST  /v1/attachments (device; `startAttachmentUploadSchema`) → `attachmentStatusSchema`: 201
 *       for a new upload, 200 when the organisation already has it (stored: nothing to send) or
 *       an upload by this device is under way (resume at `received`).
 * GET   /v1/attachments/:sha256 (device or office user of the organisation) → status (the offset
 *       query); 404 when the organisation neither has nor is uploading it.
 * PATCH /v1/attachments/:sha256 (the uploading device; `application/octet-stream`, header
 *       `UPLOAD_OFFSET_HEADER` = the offset of the chunk, which must equal `received`) → status.
 *       The chunk that completes the declared size has the whole upload hashed: a match makes it
 *       stored; a mismatch is 422 `attachment-hash-mismatch` and the upload is discarded.
 * GET   /v1/attachments/:sha256/content → the bytes, once stored.
 * Binary requests carry the schema version in `SCHEMA_VERSION_HEADER`.
 */
/** Defined with the attachment types in records/attachments.ts, which the renderer may import. */
export { MAX_ATTACHMENT_BYTES } from './records/attachments.js';
export const MAX_ATTACHMENT_CHUNK_BYTES = 1024 * 1024;
export const UPLOAD_OFFSET_HEADER = 'upload-offset';

export const startAttachmentUploadSchema = z.strictObject({
  schemaVersion: schemaVersionSchema,
  sha256: hex32,
  /** The whole attachment's size in bytes; more than `MAX_ATTACHMENT_BYTES` is a 413. */
  size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  mimeType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]{1,100}$/, 'a MIME type such as image/jpeg'),
});
export type StartAttachmentUpload = z.infer<typeof startAttachmentUploadSchema>;

export const attachmentStatusSchema = z.strictObject({
  sha256: hex32,
  size: z.number().int().positive(),
  mimeType: z.string(),
  /** Bytes received so far: the offset of the next chunk. */
  received: z.number().int().nonnegative(),
  /** True only once the bytes' SHA-256 was checked against the name. */
  stored: z.boolean(),
});
export type AttachmentStatus = z.infer<typeof attachmentStatusSchema>;

// ---------------------------------------------------------------------------------------------
// State check (anti-entropy): does the device hold what the office holds for it?
// ---------------------------------------------------------------------------------------------

/**
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
