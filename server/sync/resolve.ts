import { canonicalize } from '../../protocol/canonical.js';
import type { FieldOperation, RecordAction } from '../../protocol/journal.js';
import { applyAction } from '../../protocol/operations.js';
import {
  type Author,
  type FieldResolution,
  type FieldState,
  type FieldWrite,
  type Origin,
  type RecordResolution,
  fieldStateAfter,
  isConcurrent,
  mapEntryValue,
  policyFor,
  resolveEntryOutcome,
  setMembers,
  tombstonePolicy,
  visibleFieldValue,
} from '../../protocol/policies/index.js';
import type { FieldSpec, RecordTypeSpec } from '../../protocol/records/define.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import { clientKnowsField, type EntryOutcome, type FieldHistory, type FieldOutcome } from '../../protocol/wire.js';
import type { FieldDecision, ServerRecord } from '../db/schema.js';
import { audienceOf } from './scope.js';

/**
 * How one write (a device's record entry or an office edit) changes a record: validation by the
 * shared registry, the tombstone rule, then each field's conflict policy. Pure: the push and
 * office paths load the record, call this, and persist what it returns.
 */
export interface RecordWriteInput {
  recordType: string;
  recordId: string;
  action: RecordAction;
  ops: readonly FieldOperation[];
  baseVersion: number | null;
  origin: Origin;
  author: Author;
  effectiveTime: number;
  receivedAt: number;
  /** The schema version the author's client speaks (office writes: the current one). */
  clientSchemaVersion: number;
}

export interface WriteScope {
  /** The writing device's site; null for office writes (their organisation was checked already). */
  deviceSiteId: string | null;
  /** The site of an operator, for assignment fields (undefined when unknown). */
  operatorSite(operatorId: string): string | undefined;
  /** Record fields by the schema version that added them (default: the wire's; tests inject their own). */
  fieldsAddedIn?: FieldHistory;
}

export interface ReviewRequest {
  field: string;
  key?: string;
  current: unknown;
  proposed: unknown;
  reason: string;
}

export interface WriteResolution {
  outcome: EntryOutcome;
  reason?: string;
  message?: string;
  fields: FieldOutcome[];
  decisions: FieldDecision[];
  /** The record after the write, with its version bumped; null when the write changed nothing. */
  next: ServerRecord | null;
  reviews: ReviewRequest[];
  /** The write is refused without being a write of the record: kept out of its history and answer. */
  outsideRecord?: true;
}

type FieldWriteOp = FieldWrite['op'];

export function resolveRecordWrite(current: ServerRecord | null, input: RecordWriteInput, scope: WriteScope): WriteResolution {
  const spec = recordTypeSpec(input.recordType);
  if (!spec) return refused('unknown-record-type', `no record type ${input.recordType}`);

  const unknownField = input.ops.find((op) => op.op !== 'tombstone' && !clientKnowsField(input.clientSchemaVersion, input.recordType, op.field, scope.fieldsAddedIn));
  if (unknownField && unknownField.op !== 'tombstone') {
    return refused('field-unknown-to-client', `${unknownField.field} did not exist in schema ${input.clientSchemaVersion}; update the app to change it`);
  }
  const outOfScope = scopeProblem(spec, current, input, scope);
  // Nothing of a record outside the device's scope is told or touched: not its version, not its
  // history. The attempt stays in the device's own trail (its journal entry and result).
  if (outOfScope) return { ...refused('out-of-scope', outOfScope), outsideRecord: true };

  const version = (current?.version ?? 0) + 1;
  const stamp = { version, effectiveTime: input.effectiveTime, receivedAt: input.receivedAt, origin: input.origin, author: input.author };

  if (current && (current.deleted || input.action === 'delete')) {
    const applied = applyAction(spec, visibleState(current), input.action, input.ops);
    // A delete of a live record must still be a well-formed delete of a deletable type.
    if (!current.deleted && !applied.ok) return refused(applied.error.code, applied.error.message);
    return settleTombstone(current, input, tombstonePolicy(current.tombstone, { ...stamp, action: input.action }));
  }

  const validated = applyAction(spec, current ? visibleState(current) : null, input.action, input.ops);
  if (!validated.ok) return refused(validated.error.code, validated.error.message);

  const states: Record<string, FieldState> = { ...(current?.fieldStates ?? {}) };
  const fields: FieldOutcome[] = [];
  const decisions: FieldDecision[] = [];
  const reviews: ReviewRequest[] = [];
  for (const op of withImpliedOperations(spec, input.action, input.ops)) {
    const fieldSpec = spec.fields[op.field]!;
    const write: FieldWrite = { op: normalised(fieldSpec, op), ...stamp, baseVersion: input.baseVersion };
    const before = states[op.field] ?? null;
    const resolution = policyFor(fieldSpec)(before, write, isConcurrent(before, write));
    const after = fieldStateAfter(before, write, resolution);
    if (after) states[op.field] = after;
    fields.push(fieldOutcome(op, resolution));
    decisions.push(decision(fieldSpec, write.op, resolution, before, after));
    if (resolution.outcome === 'review') {
      reviews.push({ field: op.field, ...keyOf(op), current: resolution.current, proposed: resolution.proposed, reason: resolution.reason });
    }
  }

  const visible = current ? withVisibleChanges(spec, current.fields, states, fields) : visibleFields(spec, states);
  if (input.action === 'submit') {
    const problems = spec.submitChecks?.(visible) ?? [];
    if (problems.length > 0) return refused('incomplete', `cannot submit as the office holds it: ${problems.join('; ')}`);
  }
  const outcome = resolveEntryOutcome(fields);
  const notApplied = fields.find((field) => field.outcome !== 'applied');
  const changed = fields.some((field) => field.outcome === 'applied' || field.outcome === 'merged') || reviews.length > 0;
  const next = changed
    ? nextRecord(spec, current, input, scope, { version, fields: visible, fieldStates: states, pendingReview: (current?.pendingReview ?? false) || reviews.length > 0 })
    : null;
  return {
    outcome,
    ...(outcome === 'rejected' ? { reason: 'policy-rejected' } : {}),
    ...(notApplied?.reason ? { message: notApplied.reason } : {}),
    fields,
    decisions,
    next,
    reviews,
  };
}

/**
 * Deletes and writes to deleted records follow the tombstone rule. An update that arrives for a
 * deleted record is refused, kept in the history, and filed for review (it was made without
 * knowing of the delete).
 */
function settleTombstone(current: ServerRecord, input: RecordWriteInput, resolution: RecordResolution): WriteResolution {
  if (resolution.outcome === 'proceed') throw new Error('a deleted record or a delete never proceeds to field policies');
  const written = input.action === 'delete' ? null : input.ops;
  if (resolution.outcome === 'rejected') {
    return {
      outcome: 'rejected',
      reason: 'record-deleted',
      message: resolution.reason,
      fields: [],
      decisions: [{ field: '*', op: input.action, outcome: 'rejected', reason: resolution.reason, written, before: true, after: true }],
      next: null,
      reviews: [{ field: '*', current: { deleted: true }, proposed: written, reason: resolution.reason }],
    };
  }
  const reason = resolution.outcome === 'merged' ? { reason: resolution.reason } : {};
  const changed = !current.deleted || canonicalize(current.tombstone) !== canonicalize(resolution.tombstone);
  return {
    outcome: resolveEntryOutcome([resolution]),
    ...(resolution.outcome === 'merged' ? { message: resolution.reason } : {}),
    fields: [{ field: '*', outcome: resolution.outcome, ...reason }],
    decisions: [{ field: '*', op: 'tombstone', outcome: resolution.outcome, ...reason, written, before: current.deleted, after: true }],
    next: changed ? { ...current, version: current.version + 1, tombstone: resolution.tombstone, deleted: true, updatedAt: input.receivedAt } : null,
    reviews: [],
  };
}

function scopeProblem(spec: RecordTypeSpec, current: ServerRecord | null, input: RecordWriteInput, scope: WriteScope): string | null {
  if (scope.deviceSiteId === null) return null;
  if (current) return current.audience.includes(scope.deviceSiteId) ? null : 'out of scope: this record is not shared with this device\'s site';
  const declaredSite = declaredSiteOf(spec, input.ops);
  if (declaredSite !== undefined && declaredSite !== scope.deviceSiteId) {
    return `this device belongs to site ${scope.deviceSiteId} and cannot create a ${spec.label.toLowerCase()} for site ${String(declaredSite)}`;
  }
  return null;
}

function declaredSiteOf(spec: RecordTypeSpec, ops: readonly FieldOperation[]): unknown {
  if (!('siteId' in spec.fields)) return undefined;
  const set = ops.find((op) => op.op === 'set' && op.field === 'siteId');
  return set && set.op === 'set' ? set.value : undefined;
}

/**
 * Status is not written by devices' operations on submittable types: a record starts as a draft
 * and a submit makes it submitted. Those changes go through the status field's policy like any
 * other write, so their stamps are kept.
 */
function withImpliedOperations(spec: RecordTypeSpec, action: RecordAction, ops: readonly FieldOperation[]): FieldWriteOp[] {
  const fieldOps = ops.filter((op): op is FieldWriteOp => op.op !== 'tombstone');
  if (!spec.submittable || !('status' in spec.fields)) return fieldOps;
  if (action === 'create') return [{ op: 'set', field: 'status', value: 'draft' }, ...fieldOps];
  if (action === 'submit') return [...fieldOps, { op: 'set', field: 'status', value: 'submitted' }];
  return fieldOps;
}

/** The value as the registry's schema reads it (trimmed text and the like), as the device stored it. */
function normalised(field: FieldSpec, op: FieldWriteOp): FieldWriteOp {
  if (op.op === 'set') return { ...op, value: field.schema.parse(op.value) };
  if (op.op === 'add' || op.op === 'remove') return { ...op, member: field.schema.parse(op.member) as string };
  return op;
}

function visibleState(record: ServerRecord) {
  return { fields: record.fields, deleted: record.deleted };
}

/**
 * The visible fields after a write: those it touched computed again, the others as they were
 * (all of them again for a record stored before a field was added to its type).
 */
function withVisibleChanges(spec: RecordTypeSpec, before: Record<string, unknown>, states: Record<string, FieldState>, touched: readonly FieldOutcome[]): Record<string, unknown> {
  if (!Object.keys(spec.fields).every((name) => name in before)) return visibleFields(spec, states);
  const fields = { ...before };
  for (const { field } of touched) fields[field] = visibleFieldValue(spec.fields[field]!, states[field] ?? null);
  return fields;
}

export function visibleFields(spec: RecordTypeSpec, states: Record<string, FieldState>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(spec.fields)) fields[name] = visibleFieldValue(field, states[name] ?? null);
  return fields;
}

function nextRecord(
  spec: RecordTypeSpec,
  current: ServerRecord | null,
  input: RecordWriteInput,
  scope: WriteScope,
  change: Pick<ServerRecord, 'version' | 'fields' | 'fieldStates' | 'pendingReview'>,
): ServerRecord {
  const siteId = current?.siteId ?? homeSite(spec, change.fields, scope);
  return {
    type: input.recordType,
    id: input.recordId,
    siteId,
    audience: audienceOf(input.recordType, siteId, change.fields, scope.operatorSite),
    tombstone: current?.tombstone ?? null,
    deleted: current?.deleted ?? false,
    createdAt: current?.createdAt ?? input.receivedAt,
    updatedAt: input.receivedAt,
    ...change,
  };
}

function homeSite(spec: RecordTypeSpec, fields: Record<string, unknown>, scope: WriteScope): string {
  const declared = 'siteId' in spec.fields ? fields.siteId : undefined;
  if (typeof declared === 'string') return declared;
  if (scope.deviceSiteId !== null) return scope.deviceSiteId;
  throw new Error(`an office-created ${spec.label.toLowerCase()} needs a site`);
}

function fieldOutcome(op: FieldWriteOp, resolution: FieldResolution): FieldOutcome {
  return {
    field: op.field,
    ...keyOf(op),
    outcome: resolution.outcome,
    ...('reason' in resolution && resolution.reason !== undefined ? { reason: resolution.reason } : {}),
  };
}

function decision(field: FieldSpec, op: FieldWriteOp, resolution: FieldResolution, before: FieldState | null, after: FieldState | null): FieldDecision {
  return {
    field: op.field,
    ...keyOf(op),
    op: op.op,
    outcome: resolution.outcome,
    ...('reason' in resolution && resolution.reason !== undefined ? { reason: resolution.reason } : {}),
    written: op.op === 'set' ? op.value : op.op === 'increment' ? op.by : op.member,
    before: touchedValue(field, op, before),
    after: touchedValue(field, op, after),
  };
}

/**
 * What a decision keeps of a field's value: for a map, the entry the operation wrote; for a set,
 * whether it holds the member; whole values only for the other kinds. So a decision's size does
 * not grow with the field (an inspection's answers, a gate event's photos).
 */
function touchedValue(field: FieldSpec, op: FieldWriteOp, state: FieldState | null): unknown {
  if (field.kind === 'map' && op.op === 'set' && op.key !== undefined) return state ? mapEntryValue(state.value, op.key) : null;
  if (field.kind === 'set' && (op.op === 'add' || op.op === 'remove')) return state ? setMembers(state.value).includes(op.member) : false;
  return visibleFieldValue(field, state);
}

function keyOf(op: FieldWriteOp): { key?: string } {
  return op.op === 'set' && op.key !== undefined ? { key: op.key } : {};
}

export function refused(reason: string, message: string): WriteResolution {
  return { outcome: 'rejected', reason, message, fields: [], decisions: [], next: null, reviews: [] };
}
