import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { hex32 } from './shapes.js';
import { anchorReceiptSchema, entryOutcomeSchema, fieldOutcomeSchema } from './outcomes.js';
import { canonicalRecordSchema } from './records.js';
import { wholeNumberText, reviewChoiceSchema, writeAuthorSchema } from './review.js';

/**
 * Audit (office: reviewer or admin).
 *
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
  /**
   * A device entry as stored: the office keeps an entry only once its signature by the session key
   * and its link to the previous entry verified. `anchored`: within the chain the office signed
   * receipts for; `deviceFlagged`: the device later presented a chain that did not extend it.
   */
  entry: z.strictObject({ sessionId: identifier, seq: z.number().int().positive(), anchored: z.boolean(), deviceFlagged: z.boolean() }).nullable(),
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
  z.strictObject({ deviceId: identifier, fromSeq: wholeNumberText(Number.MAX_SAFE_INTEGER).optional(), toSeq: wholeNumberText(Number.MAX_SAFE_INTEGER).optional() }),
  z.strictObject({ from: wholeNumberText(Number.MAX_SAFE_INTEGER), to: wholeNumberText(Number.MAX_SAFE_INTEGER) }),
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

/**
 * GET /v1/audit/search?operatorId=&deviceId=&unit=&from=&to=  (at least one) → `auditSearchResultSchema`:
 * the records whose writes match (by that operator, from that device, received in [from, to)),
 * or whose unit (equipment, container or chassis number, truck plate) contains `unit`; most
 * recently written first.
 */
export const MAX_AUDIT_SEARCH_RECORDS = 200;

/** The fields a person searches by when they have a unit in front of them. */
export const UNIT_FIELDS = ['equipmentNumber', 'containerNumber', 'chassisNumber', 'truckPlate'] as const;

export const auditSearchQuerySchema = z
  .strictObject({
    operatorId: identifier.optional(),
    deviceId: identifier.optional(),
    unit: z.string().trim().min(2, 'at least 2 characters of a unit number').max(40).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes').optional(),
    from: wholeNumberText(Number.MAX_SAFE_INTEGER).optional(),
    to: wholeNumberText(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((query) => Object.values(query).some((value) => value !== undefined), 'search by operator, device, unit or time');
export type AuditSearchQuery = z.infer<typeof auditSearchQuerySchema>;

export const auditSearchResultSchema = z.strictObject({
  records: z.array(
    z.strictObject({
      type: identifier,
      id: identifier,
      siteId: identifier,
      /** The record's unit number, when it has one. */
      unit: z.string().nullable(),
      /** Matching writes, and when the first and last of them reached the office. */
      writes: z.number().int().nonnegative(),
      firstAt: z.number().int(),
      lastAt: z.number().int(),
    }),
  ),
  truncated: z.boolean(),
});
export type AuditSearchResult = z.infer<typeof auditSearchResultSchema>;
