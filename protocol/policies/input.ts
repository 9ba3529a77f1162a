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

/** A field's stored value, checked against the shape its policy keeps. */
export function parseStoredValue<T>(schema: z.ZodType<T>, value: unknown, field: string, shape: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new PolicyInputError(`the stored value of ${field} is not ${shape}: ${parsed.error.issues[0]?.message ?? 'wrong shape'}`);
  }
  return parsed.data;
}
