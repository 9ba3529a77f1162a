import type { z } from 'zod';
import { PolicyInputError, type FieldWrite } from './types.js';

/**
 * Guards for what a policy is handed. The server validates entries against the record registry
 * before any policy runs, so these only trip on a caller bug; they name the field and say what
 * did not fit instead of deciding something wrong.
 */
type Operation = FieldWrite['op'];
type OperationKind = Operation['op'];

export function expectOperation<K extends OperationKind>(
  write: FieldWrite,
  policy: string,
  kinds: readonly K[],
): Extract<Operation, { op: K }> {
  if (!(kinds as readonly OperationKind[]).includes(write.op.op)) {
    throw new PolicyInputError(`the ${policy} policy settles ${kinds.join('/')} operations, not ${write.op.op} (field ${write.op.field})`);
  }
  return write.op as Extract<Operation, { op: K }>;
}

/** A plain `set` of a scalar field: no map key. */
export function expectScalarSet(write: FieldWrite, policy: string): Extract<Operation, { op: 'set' }> {
  const op = expectOperation(write, policy, ['set']);
  if (op.key !== undefined) throw new PolicyInputError(`${op.field} is not a map field: a set takes no key (got ${op.key})`);
  return op;
}

/**
 * Values already checked, by schema and object: one write reads a field's value several times
 * (its policy, its decision, the record's visible fields), and an inspection's answers make the
 * same map value be read again by every later answer of the batch. Stored values are never
 * changed in place (policies make new ones), so an object checked once stays valid.
 */
const checked = new WeakMap<z.ZodType, WeakMap<object, unknown>>();

/** A field's stored value, checked against the shape its policy keeps. */
export function parseStoredValue<T>(schema: z.ZodType<T>, value: unknown, field: string, shape: string): T {
  let seen = checked.get(schema);
  if (!seen) {
    seen = new WeakMap();
    checked.set(schema, seen);
  }
  const isObject = typeof value === 'object' && value !== null;
  if (isObject && seen.has(value)) return seen.get(value) as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new PolicyInputError(`the stored value of ${field} is not ${shape}: ${parsed.error.issues[0]?.message ?? 'wrong shape'}`);
  }
  if (isObject) seen.set(value, parsed.data);
  if (typeof parsed.data === 'object' && parsed.data !== null) seen.set(parsed.data, parsed.data);
  return parsed.data;
}
