import type { FieldOperation, RecordAction } from './journal.js';
import { plainIssue } from './text.js';
import type { FieldSpec, RecordFields, RecordTypeSpec } from './records/define.js';

/**
 * Applies one action's field-level operations to a record's materialized fields. Pure: the device
 * uses it in its write path and when re-applying pending operations over canonical state; the office
 * uses the same rules before its conflict policies decide between concurrent versions.
 */
export interface RecordState {
  fields: RecordFields;
  deleted: boolean;
}

export type ActionErrorCode =
  | 'record-exists'
  | 'unknown-record'
  | 'record-deleted'
  | 'record-immutable'
  | 'unknown-field'
  | 'wrong-operation'
  | 'invalid-value'
  | 'immutable-field'
  | 'missing-field'
  | 'not-deletable'
  | 'not-submittable'
  | 'incomplete';

export interface ActionError {
  code: ActionErrorCode;
  message: string;
  field?: string;
}

export type ApplyResult = { ok: true; state: RecordState } | { ok: false; error: ActionError };

export function isSubmitted(spec: RecordTypeSpec, state: RecordState | null): boolean {
  return spec.submittable && state?.fields.status === 'submitted';
}

export function applyAction(
  spec: RecordTypeSpec,
  current: RecordState | null,
  action: RecordAction,
  ops: readonly FieldOperation[],
): ApplyResult {
  const precondition = checkPrecondition(spec, current, action, ops);
  if (precondition) return { ok: false, error: precondition };

  const fields: RecordFields = structuredClone(current?.fields ?? initialFields(spec));
  let deleted = current?.deleted ?? false;
  for (const op of ops) {
    if (op.op === 'tombstone') {
      deleted = true;
      continue;
    }
    const error = applyFieldOperation(spec, fields, op, action === 'create');
    if (error) return { ok: false, error };
  }
  if (action === 'submit') fields.status = 'submitted';

  const missing = Object.entries(spec.fields).find(([name, field]) => field.required && (fields[name] ?? null) === null);
  if (missing) return err('missing-field', `${spec.label} needs ${missing[0]}`, missing[0]);
  if (action === 'submit') {
    const problems = spec.submitChecks?.(fields) ?? [];
    if (problems.length > 0) return err('incomplete', `cannot submit: ${problems.join('; ')}`);
  }
  return { ok: true, state: { fields, deleted } };
}

function checkPrecondition(
  spec: RecordTypeSpec,
  current: RecordState | null,
  action: RecordAction,
  ops: readonly FieldOperation[],
): ActionError | null {
  const hasTombstone = ops.some((op) => op.op === 'tombstone');
  if (action === 'create') {
    if (current) return { code: 'record-exists', message: `${spec.label} already exists` };
  } else {
    if (!current) return { code: 'unknown-record', message: `no such ${spec.label.toLowerCase()}` };
    if (current.deleted) return { code: 'record-deleted', message: `${spec.label} was deleted` };
    if (isSubmitted(spec, current)) {
      return { code: 'record-immutable', message: `${spec.label} was submitted and cannot change; record a correction instead` };
    }
  }
  if (action === 'delete') {
    if (!spec.deletable) return { code: 'not-deletable', message: `a ${spec.label.toLowerCase()} cannot be deleted` };
    if (!hasTombstone || ops.length !== 1) return { code: 'wrong-operation', message: 'a delete is a single tombstone operation' };
  } else if (hasTombstone) {
    return { code: 'wrong-operation', message: 'tombstone is only allowed in a delete' };
  }
  if (action === 'submit' && !spec.submittable) {
    return { code: 'not-submittable', message: `a ${spec.label.toLowerCase()} is not submitted` };
  }
  return null;
}

function initialFields(spec: RecordTypeSpec): RecordFields {
  const fields: RecordFields = {};
  for (const [name, field] of Object.entries(spec.fields)) {
    fields[name] = emptyValue(field);
  }
  if ('status' in spec.fields && spec.submittable) fields.status = 'draft';
  return fields;
}

export function emptyValue(field: FieldSpec): unknown {
  switch (field.kind) {
    case 'counter':
      return 0;
    case 'set':
      return [];
    case 'map':
      return {};
    default:
      return null;
  }
}

function applyFieldOperation(
  spec: RecordTypeSpec,
  fields: RecordFields,
  op: Exclude<FieldOperation, { op: 'tombstone' }>,
  creating: boolean,
): ActionError | null {
  const field = Object.hasOwn(spec.fields, op.field) ? spec.fields[op.field] : undefined;
  if (!field) return { code: 'unknown-field', message: `${spec.label} has no field ${op.field}`, field: op.field };
  if (field.immutable && !creating) {
    return { code: 'immutable-field', message: `${op.field} is set when the ${spec.label.toLowerCase()} is created`, field: op.field };
  }
  if (op.field === 'status' && spec.submittable) {
    return { code: 'wrong-operation', message: 'status changes by submitting', field: op.field };
  }
  const wrongKind = (expected: string) => ({
    code: 'wrong-operation' as const,
    message: `${op.op} does not apply to ${op.field} (a ${field.kind} field; use ${expected})`,
    field: op.field,
  });
  switch (op.op) {
    case 'set': {
      if (field.kind === 'counter' || field.kind === 'set') return wrongKind(field.kind === 'counter' ? 'increment' : 'add/remove');
      if ((field.kind === 'map') !== (op.key !== undefined)) {
        return { code: 'wrong-operation', message: `${op.field} ${field.kind === 'map' ? 'needs' : 'takes no'} key`, field: op.field };
      }
      const parsed = field.schema.safeParse(op.value);
      if (!parsed.success) return invalid(op.field, plainIssue(parsed.error.issues[0]));
      if (field.kind === 'map') {
        fields[op.field] = { ...(fields[op.field] as Record<string, unknown>), [op.key!]: parsed.data };
      } else {
        fields[op.field] = parsed.data;
      }
      return null;
    }
    case 'increment':
      if (field.kind !== 'counter') return wrongKind('set');
      fields[op.field] = (fields[op.field] as number) + op.by;
      return null;
    case 'add':
    case 'remove': {
      if (field.kind !== 'set') return wrongKind('set');
      const parsed = field.schema.safeParse(op.member);
      if (!parsed.success) return invalid(op.field, plainIssue(parsed.error.issues[0]));
      const members = new Set(fields[op.field] as string[]);
      if (op.op === 'add') members.add(parsed.data as string);
      else members.delete(parsed.data as string);
      fields[op.field] = [...members].sort();
      return null;
    }
  }
}

function invalid(field: string, detail: string | undefined): ActionError {
  return { code: 'invalid-value', message: `${field}: ${detail ?? 'invalid value'}`, field };
}

function err(code: ActionErrorCode, message: string, field?: string): ApplyResult {
  return { ok: false, error: field ? { code, message, field } : { code, message } };
}
