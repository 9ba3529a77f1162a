
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { z } from 'zod';
import { RECORD_TYPES, type FieldSpec, type RecordType } from '../protocol/records/index.js';

/**
 * The device database. Record tables are derived from the shared record registry, so a field is
 * declared once (protocol/records) and gets its column here; the rest are the journal, outbox and
 * the other tables the write path, sessions, compaction and sync need.
 */

function columnFor(name: string, field: FieldSpec): ReturnType<typeof text> | ReturnType<typeof real> | ReturnType<typeof integer> {
  if (field.kind === 'counter') return integer(name).notNull().default(0);
  if (field.kind === 'set' || field.kind === 'map') return text(name, { mode: 'json' }).notNull();
  const type = unwrap(field.schema).def.type;
  if (type === 'number') return real(name);
  if (type === 'boolean') return integer(name, { mode: 'boolean' });
  if (type === 'string' || type === 'enum') return text(name);
  return text(name, { mode: 'json' });
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current.def.type === 'nullable' || current.def.type === 'optional') {
    current = (current.def as unknown as { innerType: z.ZodType }).innerType;
  }
  return current;
}

const syncColumns = () => ({
  id: text('id').primaryKey(),
  deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
  /** Version of the office's canonical copy this row is based on; null until first synced. */
  serverVersion: integer('server_version'),
  /** Journal sequence of the last local change. */
  lastSeq: integer('last_seq').notNull(),
  /** local: never reached the office; pending: local changes not yet acknowledged; synced; conflict. */
  syncState: text('sync_state', { enum: ['local', 'pending', 'synced', 'conflict'] }).notNull(),
  pendingReview: integer('pending_review', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at').notNull(),
  createdBy: text('created_by').notNull(),
  updatedAt: integer('updated_at').notNull(),
  updatedBy: text('updated_by').notNull(),
});

function recordTable(type: RecordType) {
  const fields: Record<string, ReturnType<typeof columnFor>> = {};
  for (const [name, field] of Object.entries(RECORD_TYPES[type].fields)) {
    fields[name] = columnFor(snake(name), field as FieldSpec);
  }
  return sqliteTable(`rec_${snake(type)}`, { ...syncColumns(), ...fields });
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export const recWorkOrder = recordTable('workOrder');
export const recInspection = recordTable('inspection');
export const recGateEvent = recordTable('gateEvent');
export const recEquipmentInterchange = recordTable('equipmentInterchange');
export const recYardCount = recordTable('yardCount');
export const recBillingLine = recordTable('billingLine');
export const recNote = recordTable('note');
export const recRepairCertification = recordTable('repairCertification');

export const recordTables = {
  workOrder: recWorkOrder,
  inspection: recInspection,
  gateEvent: recGateEvent,
  equipmentInterchange: recEquipmentInterchange,
  yardCount: recYardCount,
  billingLine: recBillingLine,
  note: recNote,
  repairCertification: recRepairCertification,
} satisfies Record<RecordType, unknown>;

/** Append-only: triggers (migration 0001) refuse UPDATE, and DELETE outside compaction. */
export const journal = sqliteTable(
  'journal',
  {
    seq: integer('seq').primaryKey(),
    kind: text('kind', { enum: ['record', 'session.open', 'session.close', 'entry.discard', 'sign-in.paused'] }).notNull(),
    sessionId: text('session_id').notNull(),
    operatorId: text('operator_id').notNull(),
    recordType: text('record_type'),
    recordId: text('record_id'),
    deviceTime: integer('device_time').notNull(),
    hlc: text('hlc').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    signature: text('signature').notNull(),
    /** The signed body, canonical JSON, exactly the bytes that were hashed. */
    body: text('body').notNull(),
  },
  (table) => [index('journal_record_idx').on(table.recordType, table.recordId)],
);

/**
 * Unindexed but for its key: compaction keeps it small, and every action writes it, so an index
 * would cost a page write per action for lookups that scan a few hundred rows.
 */
export const outbox = sqliteTable('outbox', {
  seq: integer('seq').primaryKey(),
  state: text('state', { enum: ['pending', 'acknowledged', 'failed'] }).notNull(),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  result: text('result'),
  acknowledgedAt: integer('acknowledged_at'),
});

export const sessions = sqliteTable('sessions', {
  sessionId: text('session_id').primaryKey(),
  operatorId: text('operator_id').notNull(),
  publicKey: text('public_key').notNull(),
  /** The device-signed certificate (JSON), also journaled in the session.open entry. */
  certificate: text('certificate').notNull(),
  openSeq: integer('open_seq').notNull(),
  openedAt: integer('opened_at').notNull(),
  closeSeq: integer('close_seq'),
  closedAt: integer('closed_at'),
  closeReason: text('close_reason'),
});

/** Operators who may sign in on this device, with PIN verifiers (synced from the office). */
export const operators = sqliteTable(
  'operators',
  {
    operatorId: text('operator_id').primaryKey(),
    badgeId: text('badge_id').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: ['inspector', 'gate-clerk', 'supervisor'] }).notNull(),
    /** The office's verifier peppered with the key store's PIN pepper (protocol/pin.ts), never the office's hash itself. */
    pinVerifier: text('pin_verifier').notNull(),
  },
  (table) => [uniqueIndex('operators_badge_idx').on(table.badgeId)],
);

/**
 * Wrong PINs per badge as typed, known to the device or not, so that an unknown badge is answered
 * exactly like a known one. A correct PIN deletes the row; a day without a wrong PIN forgets it.
 */
export const pinThrottle = sqliteTable('pin_throttle', {
  badgeId: text('badge_id').primaryKey(),
  failedAttempts: integer('failed_attempts').notNull(),
  lastFailedAt: integer('last_failed_at').notNull(),
  /** Sign-in with the badge is refused, without checking the PIN, until then. */
  pausedUntil: integer('paused_until'),
});

/** Every pause of sign-in with a badge, for the UI and, once a session opens, the signed journal. */
export const signInPauses = sqliteTable('sign_in_pauses', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  badgeId: text('badge_id').notNull(),
  failedAttempts: integer('failed_attempts').notNull(),
  pausedAt: integer('paused_at').notNull(),
  pausedForMs: integer('paused_for_ms').notNull(),
  /** The `sign-in.paused` entry that journaled it; null until a session opens. */
  journalSeq: integer('journal_seq'),
});

export const attachments = sqliteTable('attachments', {
  sha256: text('sha256').primaryKey(),
  size: integer('size').notNull(),
  mimeType: text('mime_type').notNull(),
  state: text('state', { enum: ['local', 'uploading', 'stored'] }).notNull(),
  uploadedBytes: integer('uploaded_bytes').notNull().default(0),
  createdAt: integer('created_at').notNull(),
  acknowledgedAt: integer('acknowledged_at'),
});

export const checkpoints = sqliteTable('checkpoints', {
  toSeq: integer('to_seq').primaryKey(),
  fromSeq: integer('from_seq').notNull(),
  head: text('head').notNull(),
  /** The signed manifest (JSON): range, heads, Merkle root, state hash, session in force. */
  signed: text('signed').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** Each item belongs to the operator whose change it was: on a shared kiosk, nobody else reads it or marks it seen. */
export const conflictInbox = sqliteTable('conflict_inbox', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  seq: integer('seq'),
  /** Null only for items from before migration 0005 whose journal entry was already compacted away. */
  operatorId: text('operator_id'),
  recordType: text('record_type').notNull(),
  recordId: text('record_id').notNull(),
  outcome: text('outcome', { enum: ['merged', 'conflict', 'rejected'] }).notNull(),
  whatHappened: text('what_happened').notNull(),
  /** The office's outcome for each field the change touched (protocol FieldOutcome[]); null before migration 0005. */
  fieldOutcomes: text('field_outcomes', { mode: 'json' }),
  localValue: text('local_value', { mode: 'json' }),
  serverKept: text('server_kept', { mode: 'json' }),
  createdAt: integer('created_at').notNull(),
  seenAt: integer('seen_at'),
});

/**
 * Forms an operator started and has not saved yet, kept through an idle lock or a colleague's turn
 * at the kiosk; only their own operator ever reads them back.
 */
export const operatorDrafts = sqliteTable(
  'operator_drafts',
  {
    operatorId: text('operator_id').notNull(),
    /** Which form, e.g. `gate-event.new`. */
    form: text('form').notNull(),
    /** The form's content as the screen serialised it. */
    value: text('value').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.operatorId, table.form] })],
);

export const syncState = sqliteTable('sync_state', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).notNull(),
});

export const device = sqliteTable('device', {
  singleton: integer('singleton').primaryKey().default(1),
  deviceId: text('device_id').notNull(),
  publicKey: text('public_key').notNull(),
  createdAt: integer('created_at').notNull(),
  /** Raised by compaction inside its transaction; the journal's delete trigger checks it. */
  compacting: integer('compacting').notNull().default(0),
});

