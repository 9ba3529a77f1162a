import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { SignedCertificate } from '../../protocol/journal.js';
import { OFFICE_ROLES } from '../../protocol/office-access.js';
import type { Tombstone } from '../../protocol/policies/index.js';
import { fieldStatesColumn } from './field-states.js';

/**
 * The office database. Tables are unqualified so they live in whatever schema the connection's
 * search_path names (tests give each file its own schema). Times are epoch milliseconds.
 */
const epoch = (name: string) => bigint(name, { mode: 'number' });

export const organisations = pgTable('organisations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: epoch('created_at').notNull(),
});

export const sites = pgTable('sites', {
  id: text('id').primaryKey(),
  organisationId: text('organisation_id')
    .notNull()
    .references(() => organisations.id),
  name: text('name').notNull(),
  createdAt: epoch('created_at').notNull(),
  /** Site policy: the fewest digits an operator's PIN may have (4 to 12). */
  pinMinLength: integer('pin_min_length').notNull().default(4),
});

/** The session in force after a device's last acknowledged entry (protocol/verify.ts OpenSession). */
export interface StoredSession {
  certificate: SignedCertificate;
  closed: boolean;
}

export const devices = pgTable(
  'devices',
  {
    /** Chosen by the device (it is inside every entry it signs); unique across the service. */
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id),
    kind: text('kind', { enum: ['cab', 'kiosk'] }).notNull(),
    label: text('label'),
    publicKey: text('public_key').notNull(),
    credentialHash: text('credential_hash').notNull(),
    enrolledAt: epoch('enrolled_at').notNull(),
    revokedAt: epoch('revoked_at'),
    /** Set when the device presented a chain that does not extend its anchored head. */
    flagged: boolean('flagged').notNull().default(false),
    /** The acknowledged chain: last sequence number, its hash, the session in force. */
    chainSeq: integer('chain_seq').notNull().default(0),
    chainHead: text('chain_head').notNull(),
    chainSession: jsonb('chain_session').$type<StoredSession | null>(),
    /**
     * The effective time of the device's last entry whose time was trusted: no later entry of its
     * chain can have been made before it (protocol/time.ts). Null before the first such entry.
     */
    anchoredTime: epoch('anchored_time'),
    lastSeenAt: epoch('last_seen_at'),
    /** What the device last told of itself (with a pull; protocol/wire/health.ts), and when. */
    healthReportedAt: epoch('health_reported_at'),
    appVersion: text('app_version'),
    pendingEntries: integer('pending_entries'),
    failedEntries: integer('failed_entries'),
    oldestPendingAgeMs: bigint('oldest_pending_age_ms', { mode: 'number' }),
    /** What the device last measured of its link (protocol/wire/health.ts): its last push round trip, its last reconnect to converged. */
    lastPushMs: integer('last_push_ms'),
    lastConvergedMs: bigint('last_converged_ms', { mode: 'number' }),
    /** The clock correction the office last proved for the device's entries (protocol/time.ts), in ms. */
    clockOffsetMs: bigint('clock_offset_ms', { mode: 'number' }),
    /** The sync schema version the device last spoke (its requests carry it). */
    schemaVersion: integer('schema_version'),
    /**
     * An administrator's "require update": the device's syncs are answered 426 until it reports
     * an app build at least this one (protocol/app-version.ts), its queue kept on the device.
     */
    requiredAppVersion: text('required_app_version'),
  },
  (table) => [uniqueIndex('devices_credential_idx').on(table.credentialHash), index('devices_site_idx').on(table.siteId)],
);

/**
 * What devices told of their queue over time, and how long the office took to answer the pull that
 * carried it: at most one row per device per `DEVICE_REPORT_EVERY_MS` (server/fleet/reports.ts), for
 * the fleet page's charts of queue depth and pull latency.
 */
export const deviceReports = pgTable(
  'device_reports',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    reportedAt: epoch('reported_at').notNull(),
    pendingEntries: integer('pending_entries').notNull(),
    failedEntries: integer('failed_entries').notNull(),
    oldestPendingAgeMs: bigint('oldest_pending_age_ms', { mode: 'number' }),
    /** From the pull's arrival to its answer, on the office's clock. */
    pullMs: integer('pull_ms').notNull(),
    /** The device's last push round trip as it measured it (older apps: null). */
    pushMs: integer('push_ms'),
    /** The device's last reconnect: from its first sync attempt after being cut off to its queue sent and the feed pulled. */
    convergedMs: bigint('converged_ms', { mode: 'number' }),
  },
  (table) => [index('device_reports_time_idx').on(table.reportedAt)],
);

export const deviceFlags = pgTable(
  'device_flags',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    kind: text('kind', { enum: ['fork', 'clock-skew', 'entry-time'] }).notNull(),
    seq: integer('seq'),
    /** What was seen: the offending entry for a fork, the measured offset for clock skew. */
    detail: jsonb('detail').notNull(),
    createdAt: epoch('created_at').notNull(),
  },
  (table) => [index('device_flags_device_idx').on(table.deviceId, table.id)],
);

export const enrollmentTokens = pgTable('enrollment_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  siteId: text('site_id')
    .notNull()
    .references(() => sites.id),
  kind: text('kind', { enum: ['cab', 'kiosk'] }).notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: epoch('created_at').notNull(),
  expiresAt: epoch('expires_at').notNull(),
  usedAt: epoch('used_at'),
  usedByDevice: text('used_by_device'),
});

export const operators = pgTable(
  'operators',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id),
    badgeId: text('badge_id').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: ['inspector', 'gate-clerk', 'supervisor'] }).notNull(),
    pinVerifier: text('pin_verifier').notNull(),
    active: boolean('active').notNull().default(true),
    updatedAt: epoch('updated_at').notNull(),
  },
  (table) => [uniqueIndex('operators_site_badge_idx').on(table.siteId, table.badgeId)],
);

export const officeUsers = pgTable(
  'office_users',
  {
    id: text('id').primaryKey(),
    /** null only for the bootstrap admin, who serves every organisation. */
    organisationId: text('organisation_id').references(() => organisations.id),
    name: text('name').notNull(),
    role: text('role', { enum: OFFICE_ROLES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: epoch('created_at').notNull(),
    revokedAt: epoch('revoked_at'),
    /** Console sign-in name, lowercased; null for users who only automate with their API token. */
    email: text('email'),
    /** The console password's scrypt verifier with its salt and parameters (server/console/passwords.ts); null: no console sign-in. */
    passwordHash: text('password_hash'),
  },
  (table) => [
    uniqueIndex('office_users_token_idx').on(table.tokenHash),
    uniqueIndex('office_users_email_idx').on(table.email),
    check('office_users_role_check', sql.raw(`role IN (${OFFICE_ROLES.map((role) => `'${role}'`).join(', ')})`)),
  ],
);

/**
 * Console sessions (browser sign-ins). The browser holds the secret in a cookie; the office keeps
 * only its hash, so a copy of this table opens no session. A session ends at `expiresAt`, after
 * `idle` without a request (server/console/session-policy.ts), or when revoked.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: text('id').primaryKey(),
    secretHash: text('secret_hash').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => officeUsers.id),
    createdAt: epoch('created_at').notNull(),
    lastSeenAt: epoch('last_seen_at').notNull(),
    expiresAt: epoch('expires_at').notNull(),
    revokedAt: epoch('revoked_at'),
    revokedReason: text('revoked_reason', { enum: ['sign-out', 'sign-out-everywhere', 'password-reset'] }),
    /** Where the sign-in came from, for the user's and the admins' list of sessions. */
    address: text('address').notNull(),
    userAgent: text('user_agent'),
  },
  (table) => [uniqueIndex('console_sessions_secret_idx').on(table.secretHash), index('console_sessions_user_idx').on(table.userId)],
);

/**
 * Failed console sign-ins in a row per key (an account, a name nobody has, a source address) and
 * the pause they earned (protocol/pause.ts). A row is forgotten after a quiet spell.
 */
export const consoleSignInThrottles = pgTable('console_sign_in_throttles', {
  key: text('key').primaryKey(),
  failedAttempts: integer('failed_attempts').notNull(),
  lastFailedAt: epoch('last_failed_at').notNull(),
  pausedUntil: epoch('paused_until'),
});

/** Every console sign-in the office checked, for admins: append-only. */
export const consoleSignInAttempts = pgTable(
  'console_sign_in_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: epoch('at').notNull(),
    /** The email or name as typed (trimmed, lowercased, cut to its schema's length). */
    login: text('login').notNull(),
    /** The account it named, if any. */
    userId: text('user_id').references(() => officeUsers.id),
    address: text('address').notNull(),
    outcome: text('outcome', { enum: ['signed-in', 'refused'] }).notNull(),
    /** Failures in a row on the account (or name) with this one. */
    failedAttempts: integer('failed_attempts').notNull(),
    /** The pause this failure started; 0 when none. */
    pausedForMs: epoch('paused_for_ms').notNull(),
  },
  (table) => [index('console_sign_in_attempts_user_idx').on(table.userId, table.id)],
);

/** Every journal entry a device pushed and the server acknowledged, verbatim, append-only. */
export const journalEntries = pgTable(
  'journal_entries',
  {
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    seq: integer('seq').notNull(),
    kind: text('kind').notNull(),
    hash: text('hash').notNull(),
    prevHash: text('prev_hash').notNull(),
    signature: text('signature').notNull(),
    /** The signed body as canonical JSON: exactly the bytes that were hashed. */
    body: text('body').notNull(),
    sessionId: text('session_id').notNull(),
    operatorId: text('operator_id').notNull(),
    recordType: text('record_type'),
    recordId: text('record_id'),
    deviceTime: epoch('device_time').notNull(),
    receivedAt: epoch('received_at').notNull(),
    /** receivedAt − deviceTime: how long the entry waited on the device, plus clock error. */
    gapMs: epoch('gap_ms').notNull(),
    /** serverNow − sentAt of the push that carried it. */
    clockOffsetMs: epoch('clock_offset_ms').notNull(),
    /** Skew-corrected device time, or receivedAt when the clock offset was implausible. */
    effectiveTime: epoch('effective_time').notNull(),
    skewFlagged: boolean('skew_flagged').notNull(),
    /** The result returned to the device (wire EntryResult), returned again on a resend. */
    result: jsonb('result').notNull(),
  },
  (table) => [primaryKey({ columns: [table.deviceId, table.seq] }), index('journal_entries_record_idx').on(table.recordType, table.recordId)],
);

/**
 * Canonical record state. `fields` is what devices see; `fieldStates` is what the conflict
 * policies need (protocol/policies: each field's value with the stamp of its last change, sets and
 * maps with per-member stamps; stored with each stamp once, see field-states.ts); `tombstone` is
 * the delete that won, if any.
 */
/**
 * A submitted inspection that reports a defect (a written-in one, or a failed checklist item), as
 * SQL over `records`: the maintenance queue's filter and its partial index say it the same way.
 */
export const REPORTS_DEFECTS = sql.raw(`type = 'inspection' AND fields->>'status' = 'submitted' AND (fields @? '$.defects[*]' OR fields @? '$.items.* ? (@.result == "fail")')`);

export const records = pgTable(
  'records',
  {
    type: text('type').notNull(),
    id: text('id').notNull(),
    /** The site the record belongs to (where it was created, or the work order's site). */
    siteId: text('site_id').notNull(),
    /** Sites whose devices see the record: its home site and the sites of its assignees. */
    audience: text('audience').array().notNull(),
    version: integer('version').notNull(),
    fields: jsonb('fields').$type<Record<string, unknown>>().notNull(),
    fieldStates: fieldStatesColumn('field_states').notNull(),
    tombstone: jsonb('tombstone').$type<Tombstone | null>(),
    deleted: boolean('deleted').notNull(),
    pendingReview: boolean('pending_review').notNull(),
    createdAt: epoch('created_at').notNull(),
    updatedAt: epoch('updated_at').notNull(),
  },
  // The state check reads a site's records by audience; without it Postgres reads them all. The
  // maintenance queue reads submitted inspections that report defects, less those certified.
  (table) => [
    primaryKey({ columns: [table.type, table.id] }),
    index('records_audience_idx').using('gin', table.audience),
    index('records_reported_defects_idx').on(table.siteId).where(sql`${REPORTS_DEFECTS}`),
    index('records_certified_inspection_idx').on(sql`(${table.fields}->>'inspectionId')`).where(sql`type = 'repairCertification'`),
  ],
);

export type ServerRecord = typeof records.$inferSelect;

/**
 * Every write attempt on a record, from a device entry or the office, with each field's policy
 * decision and the values involved (the written one, the one that stood, the one replaced), so
 * nothing that lost is ever lost.
 */
export interface FieldDecision {
  field: string;
  key?: string;
  op: string;
  outcome: 'applied' | 'merged' | 'superseded' | 'rejected' | 'review' | 'observed';
  reason?: string;
  /** What the write asked for (value, member or increment). */
  written: unknown;
  /** The field's value before the write. */
  before: unknown;
  /** The field's value after the write. */
  after: unknown;
}

export const recordWrites = pgTable(
  'record_writes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    recordType: text('record_type').notNull(),
    recordId: text('record_id').notNull(),
    origin: text('origin', { enum: ['office', 'field'] }).notNull(),
    action: text('action').notNull(),
    operatorId: text('operator_id'),
    userId: text('user_id'),
    deviceId: text('device_id'),
    seq: integer('seq'),
    deviceTime: epoch('device_time'),
    receivedAt: epoch('received_at').notNull(),
    gapMs: epoch('gap_ms'),
    effectiveTime: epoch('effective_time').notNull(),
    skewFlagged: boolean('skew_flagged').notNull(),
    outcome: text('outcome', { enum: ['accepted', 'merged', 'conflict', 'rejected'] }).notNull(),
    reason: text('reason'),
    message: text('message'),
    decisions: jsonb('decisions').$type<FieldDecision[]>().notNull(),
    /** The version this write produced; null when it changed nothing. */
    versionAfter: integer('version_after'),
  },
  (table) => [index('record_writes_record_idx').on(table.recordType, table.recordId, table.id)],
);

export const recordVersions = pgTable(
  'record_versions',
  {
    type: text('type').notNull(),
    id: text('id').notNull(),
    version: integer('version').notNull(),
    fields: jsonb('fields').$type<Record<string, unknown>>().notNull(),
    deleted: boolean('deleted').notNull(),
    pendingReview: boolean('pending_review').notNull(),
    /** The write that produced this version. */
    writeId: bigint('write_id', { mode: 'number' }).notNull(),
    createdAt: epoch('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.type, table.id, table.version] })],
);

export const reviewItems = pgTable(
  'review_items',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    recordType: text('record_type').notNull(),
    recordId: text('record_id').notNull(),
    field: text('field').notNull(),
    key: text('key'),
    writeId: bigint('write_id', { mode: 'number' }).notNull(),
    /** The value that stands until a reviewer decides, and the competing one. */
    currentValue: jsonb('current_value'),
    proposedValue: jsonb('proposed_value'),
    reason: text('reason').notNull(),
    status: text('status', { enum: ['open', 'resolved'] }).notNull().default('open'),
    createdAt: epoch('created_at').notNull(),
  },
  (table) => [index('review_items_open_idx').on(table.status, table.id), index('review_items_record_idx').on(table.recordType, table.recordId)],
);

/**
 * The change feed devices pull, one row per change and audience site. Ids come from the
 * `change_feed` counter, taken last in each writing transaction: the counter row's lock makes ids
 * become visible in commit order, so a reader paging by id never skips a change that commits later.
 */
export const changes = pgTable(
  'changes',
  {
    id: bigint('id', { mode: 'number' }).notNull(),
    siteId: text('site_id').notNull(),
    kind: text('kind', { enum: ['record', 'operator'] }).notNull(),
    recordType: text('record_type'),
    recordId: text('record_id'),
    version: integer('version'),
    operatorId: text('operator_id'),
  },
  (table) => [
    primaryKey({ columns: [table.siteId, table.id] }),
    // The version of a record a site's devices were last told of before a cursor: the base a pull's delta is against.
    index('changes_record_idx').on(table.siteId, table.recordType, table.recordId, table.id),
  ],
);

export const counters = pgTable('counters', {
  name: text('name').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull(),
});

/**
 * A reviewer's decision on a review item: which version stays (the one in place, the proposed one,
 * or a value the reviewer wrote), why, and who decided. One per item, append-only; `writeId` is the
 * office write in `record_writes` that carried the decision to the record.
 */
export const reviewDecisions = pgTable('review_decisions', {
  reviewItemId: bigint('review_item_id', { mode: 'number' })
    .primaryKey()
    .references(() => reviewItems.id),
  choice: text('choice', { enum: ['current', 'proposed', 'merged'] }).notNull(),
  /** The field's value after the decision. */
  value: jsonb('value'),
  reason: text('reason').notNull(),
  userId: text('user_id')
    .notNull()
    .references(() => officeUsers.id),
  writeId: bigint('write_id', { mode: 'number' }).notNull(),
  decidedAt: epoch('decided_at').notNull(),
});

/**
 * Attachments (photos, signatures) an organisation holds, named by SHA-256. The bytes live in the
 * attachment storage, shared by hash; a row says the organisation has (or is uploading) them.
 * `storedAt` stays null until the uploaded bytes' hash was checked against the name.
 */
export const attachments = pgTable(
  'attachments',
  {
    organisationId: text('organisation_id')
      .notNull()
      .references(() => organisations.id),
    sha256: text('sha256').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    mimeType: text('mime_type').notNull(),
    /** The device sending the bytes; only it may add chunks while the upload is open. */
    uploaderDeviceId: text('uploader_device_id')
      .notNull()
      .references(() => devices.id),
    createdAt: epoch('created_at').notNull(),
    storedAt: epoch('stored_at'),
  },
  (table) => [
    primaryKey({ columns: [table.organisationId, table.sha256] }),
    // A device's unfinished uploads, counted for its quota at each declaration.
    index('attachments_unfinished_idx').on(table.uploaderDeviceId).where(sql`${table.storedAt} IS NULL`),
  ],
);

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * Attachment bytes kept in the database (attachments/database-storage.ts), so every office instance
 * serves what any of them received. One row per chunk as it arrived: `stored` false while it
 * belongs to the upload named `name` (attachments/service.ts uploadIdOf), true once the upload's
 * bytes hashed to their name and `name` is that SHA-256, shared by every organisation holding it.
 */
export const attachmentChunks = pgTable(
  'attachment_chunks',
  {
    stored: boolean('stored').notNull(),
    name: text('name').notNull(),
    byteOffset: bigint('byte_offset', { mode: 'number' }).notNull(),
    bytes: bytea('bytes').notNull(),
  },
  (table) => [primaryKey({ columns: [table.stored, table.name, table.byteOffset] })],
);

/**
 * The share of installations offered each desktop release of the office's update feed, as an
 * administrator set it (server/routes/updates.ts); a release without a row is offered to all.
 */
export const updateRollouts = pgTable(
  'update_rollouts',
  {
    version: text('version').primaryKey(),
    percentage: integer('percentage').notNull(),
    setAt: epoch('set_at').notNull(),
    /** The office user who set it. */
    setBy: text('set_by').notNull(),
  },
  (table) => [check('update_rollouts_percentage', sql`${table.percentage} BETWEEN 0 AND 100`)],
);
