import {
  type ActionInput,
  type RecordAction,
  type RecordType,
  actionInputSchema,
  applyAction,
  RECORD_TYPES,
} from '../../protocol/index.js';
import { correctedRecordId, correctionProblem } from '../../protocol/corrections.js';
import type { DeviceDb, Sqlite } from '../../db/open.js';
import { readRecord, type StoredRecord, writeRecord } from '../../db/queries/records.js';
import { inTransaction } from '../../db/queries/statements.js';
import { requireStoredAttachments } from './attachments.js';
import { CoreError, storageError } from './errors.js';
import { appendSignedEntry } from './journal-writer.js';
import { type Clock, type Randomness, randomId } from './ports.js';
import type { SessionManager } from './sessions.js';

/** One user action, as it arrives from the renderer (validated again here: the renderer is not trusted). */
export { actionInputSchema, type ActionInput } from '../../protocol/index.js';

export interface ActionResult {
  seq: number;
  record: StoredRecord;
}

interface WritePathDeps {
  db: DeviceDb;
  sqlite: Sqlite;
  deviceId: string;
  clock: Clock;
  random: Randomness;
  sessions: SessionManager;
}

/**
 * The local write path. One user action is one SQLite transaction that applies the field
 * operations to the materialized record, appends one signed journal entry and marks it pending in
 * the outbox. The caller is told only after the commit (synchronous=FULL), and an invalid action
 * writes nothing at all.
 */
export function performAction(deps: WritePathDeps, input: unknown): ActionResult {
  return performActions(deps, [input])[0]!;
}

/**
 * Several actions that belong together (an inspection's submit and its work order's completion) in
 * one transaction: each gets its own signed entry, and if any is refused none is kept.
 */
export function performActions(deps: WritePathDeps, inputs: readonly unknown[]): ActionResult[] {
  const actions = inputs.map(parseAction);
  const session = deps.sessions.requireActive();
  const ids = actions.map((action) => action.recordId ?? randomId(deps.random, action.recordType));
  let results: ActionResult[];
  try {
    results = inTransaction(deps.sqlite, () => actions.map((action, index) => applyInTransaction(deps, action.recordType, ids[index]!, action.action, action.ops, session)));
  } catch (error) {
    throw storageError(error);
  }
  deps.sessions.noteEntry();
  return results;
}

function parseAction(input: unknown): ActionInput {
  const parsed = actionInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CoreError('invalid-input', `invalid action: ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'malformed'}`);
  }
  if (parsed.data.action !== 'create' && !parsed.data.recordId) throw new CoreError('invalid-input', 'invalid action: recordId is required');
  return parsed.data;
}

function applyInTransaction(
  deps: WritePathDeps,
  recordType: RecordType,
  recordId: string,
  action: RecordAction,
  ops: ActionInput['ops'],
  session: ReturnType<SessionManager['requireActive']>,
): ActionResult {
  const { db, deviceId, clock } = deps;
  const spec = RECORD_TYPES[recordType];
  const current = readRecord(db, recordType, recordId);
  const applied = applyAction(spec, current, action, ops);
  if (!applied.ok) throw new CoreError(applied.error.code, applied.error.message, applied.error.field);
  const correctedId = correctedRecordId(spec, action, ops);
  const badCorrection = correctedId === null ? null : correctionProblem(spec, correctedId, readRecord(db, recordType, correctedId));
  if (badCorrection) throw new CoreError('invalid-correction', badCorrection, spec.correctionField);
  requireStoredAttachments(db, spec, ops);

  const entry = appendSignedEntry(db, deviceId, clock, session, {
    kind: 'record',
    recordType,
    recordId,
    action,
    baseVersion: current?.serverVersion ?? null,
    ops,
  });
  const { seq, deviceTime, operatorId } = entry.body;
  const record: StoredRecord = {
    type: recordType,
    id: recordId,
    fields: applied.state.fields,
    deleted: applied.state.deleted,
    serverVersion: current?.serverVersion ?? null,
    lastSeq: seq,
    syncState: current?.serverVersion == null ? 'local' : 'pending',
    pendingReview: current?.pendingReview ?? false,
    createdAt: current?.createdAt ?? deviceTime,
    createdBy: current?.createdBy ?? operatorId,
    updatedAt: deviceTime,
    updatedBy: operatorId,
  };
  writeRecord(db, record);
  return { seq, record };
}

