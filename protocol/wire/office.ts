import { z } from 'zod';
import { isAppVersion } from '../app-version.js';
import { identifier } from '../field-operations.js';
import { OFFICE_ROLES } from '../office-access.js';
import { emailSchema, passwordSchema } from './console.js';
import { text } from '../text.js';
import { entryOutcomeSchema, entryReasonSchema, fieldOutcomeSchema } from './outcomes.js';
import { deviceKindSchema, operatorRoleSchema, pinLengthSchema } from './shapes.js';
import { canonicalRecordSchema } from './records.js';
import { wholeNumberText } from './review.js';

/**
 * Office API (console and admin tools; an office API token as bearer, or a console session: see
 * console.ts). Who may call what is `OFFICE_ACCESS` (protocol/office-access.ts); others get 403.
 *
 * administer:     POST /v1/admin/organisations, /v1/admin/sites, PATCH /v1/admin/sites/:id, POST /v1/admin/operators,
 *                 PATCH /v1/admin/operators/:id, POST /v1/admin/users, /v1/admin/users/:id/password,
 *                 /v1/admin/enrollment-tokens, GET /v1/admin/devices, POST /v1/admin/devices/:id/revoke,
 *                 GET /v1/admin/devices/:id/flags, GET /v1/admin/console/sign-in-attempts, GET /v1/admin/kpis/conflicts, GET /v1/admin/kpis/sync
 * editWorkOrders: POST /v1/office/work-orders, PATCH /v1/office/work-orders/:id, DELETE /v1/office/work-orders/:id
 * readRecords:    GET /v1/office/records/:type/:id
 * Ids are optional on create (the server makes one); given ids must be unused.
 */
export const officeRoleSchema = z.enum(OFFICE_ROLES);

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
/** With an `email` and a `password` the user also signs in to the console (by email, or by name); the email is unique. */
export const createOfficeUserSchema = z.strictObject({
  id: identifier.optional(),
  organisationId: identifier,
  name: displayName,
  role: officeRoleSchema,
  email: emailSchema.optional(),
  password: passwordSchema.optional(),
});
/** The API token is in the response only; the server keeps its hash (and only a verifier of the password). */
export const createdOfficeUserSchema = z.strictObject({
  id: identifier,
  organisationId: identifier,
  name: z.string(),
  role: officeRoleSchema,
  email: z.string().nullable(),
  token: z.string(),
});
export const createEnrollmentTokenSchema = z.strictObject({
  siteId: identifier,
  kind: deviceKindSchema,
  /** Lifetime; default 24 h, at most 30 days. */
  ttlMs: z.number().int().min(60_000).max(30 * 24 * 60 * 60 * 1000).optional(),
});
export const createdEnrollmentTokenSchema = z.strictObject({ token: z.string(), siteId: identifier, kind: deviceKindSchema, expiresAt: z.number().int() });

export const deviceAttentionSchema = z.strictObject({
  code: z.enum(['chain-flagged', 'never-synced', 'not-synced', 'queue-stuck', 'entries-failed', 'clock-off']),
  message: z.string(),
});
export type DeviceAttention = z.infer<typeof deviceAttentionSchema>;

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
  /** What the device last told of itself with a pull (null before it first did). */
  health: z
    .strictObject({
      reportedAt: z.number().int(),
      appVersion: z.string().nullable(),
      pending: z.number().int(),
      failed: z.number().int(),
      oldestPendingAgeMs: z.number().int().nullable(),
      /** What the device last measured: its last push round trip and its last reconnect to converged, in ms. */
      lastPushMs: z.number().int().nullable(),
      lastConvergedMs: z.number().int().nullable(),
    })
    .nullable(),
  /** The clock correction the office last proved for its entries, in ms (positive: its clock is behind). */
  clockOffsetMs: z.number().int().nullable(),
  /** The sync schema version it last spoke, and the app build an administrator requires of it. */
  schemaVersion: z.number().int().nullable(),
  requiredAppVersion: z.string().nullable(),
  /** The operator of the last session the office saw from it, since when, and whether it is still open. */
  operator: z.strictObject({ operatorId: identifier, since: z.number().int(), signedIn: z.boolean() }).nullable(),
  /** Why someone should look at it, most urgent first; empty when all is well. */
  attention: z.array(deviceAttentionSchema),
});
export type DeviceSummary = z.infer<typeof deviceSummarySchema>;
/** GET /v1/admin/devices?siteId=: the devices, and the office's time they were read at (ages are measured against it, not a browser's clock). */
export const deviceListSchema = z.strictObject({ at: z.number().int(), devices: z.array(deviceSummarySchema) });
export type DeviceList = z.infer<typeof deviceListSchema>;
/** PUT /v1/admin/devices/:id/required-app-version: the build this device must run to sync again (null: none). */
export const requiredAppVersionSchema = z.strictObject({ version: z.string().refine(isAppVersion, 'not an app build such as 0.5.0 or 1.0.0-beta.2').nullable() });

/** GET /v1/admin/kpis/conflicts, GET /v1/admin/kpis/sync?siteId=&days= (default 7, at most 90): conflicts per 1,000 field edits, by record type and policy. */
export const DEFAULT_KPI_DAYS = 7;
/** The KPI endpoints' window: a site (all by default) and a number of days up to now. */
export const kpiQuerySchema = z.strictObject({ siteId: identifier.optional(), days: wholeNumberText(90).pipe(z.number().positive()).optional() });
const count = z.number().int().nonnegative();
/** How the office settled the field edits that met a concurrent one (protocol/policies). */
export const CONFLICT_OUTCOMES = ['merged', 'superseded', 'review', 'rejected'] as const;
export const conflictRateSchema = z.strictObject({
  recordType: identifier,
  policy: z.string(),
  edits: count,
  conflicts: count,
  perThousand: z.number().nonnegative(),
  outcomes: z.strictObject({ merged: count, superseded: count, review: count, rejected: count }),
});
export type ConflictRate = z.infer<typeof conflictRateSchema>;
export const conflictRatesSchema = z.strictObject({ since: z.number().int(), until: z.number().int(), rates: z.array(conflictRateSchema) });
export type ConflictRates = z.infer<typeof conflictRatesSchema>;

/**
 * GET /v1/admin/kpis/sync?siteId=&days= (same window): per time step, the devices that reported, their
 * queue depth (mean and deepest), how long the office took to answer their pulls (p50, p95), and
 * what the devices measured: their push round trips and the time from a reconnect to converged
 * (p50, p95; null in a step where no device told them).
 */
export const syncHealthSchema = z.strictObject({
  since: z.number().int(),
  until: z.number().int(),
  bucketMs: z.number().int().positive(),
  buckets: z.array(
    z.strictObject({
      at: z.number().int(),
      devices: count,
      pendingMean: z.number().nonnegative(),
      pendingMax: count,
      pullMsP50: z.number().nonnegative(),
      pullMsP95: z.number().nonnegative(),
      pushMsP50: z.number().nonnegative().nullable(),
      pushMsP95: z.number().nonnegative().nullable(),
      convergedMsP50: z.number().nonnegative().nullable(),
      convergedMsP95: z.number().nonnegative().nullable(),
    }),
  ),
});
export type SyncHealth = z.infer<typeof syncHealthSchema>;

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
