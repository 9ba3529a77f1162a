import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { text } from '../text.js';
import { canonicalRecordSchema } from './records.js';

/**
 * Review queue (office: reviewer or admin decide; dispatchers may read the queue).
 *
 * GET  /v1/office/review-items?status=&siteId=&recordType=&after=&limit=  → `reviewItemPageSchema`
 * POST /v1/office/review-items/:id/resolve  (`resolveReviewItemSchema`)   → `resolvedReviewItemSchema`
 * GET  /v1/office/review-items/:id/attachments/:sha256  → the bytes of a photo or signature the item's record was written with (204 until uploaded)
 * The decision becomes an office write on the record (a new version when anything devices see
 * changed: the field's value, or the record no longer pending review), so it reaches devices on pull.
 */
export const wholeNumberText = (max: number) =>
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
  after: wholeNumberText(Number.MAX_SAFE_INTEGER).optional(),
  limit: wholeNumberText(MAX_REVIEW_PAGE).pipe(z.number().positive()).optional(),
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
