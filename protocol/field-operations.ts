import { z } from 'zod';
import { TEXT_RULE, text, textProblem } from './text.js';

/**
 * Field operations: what an action does to a record's fields, as the device journals them and the
 * office settles them. Apart from actions.ts (which also names the record types) so that the record
 * registry can speak of operations without importing itself.
 */
export const identifier = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number().finite(), z.string().max(10_000), z.array(jsonValue).max(1000), z.record(z.string(), jsonValue)]),
);

const PROTO_KEY = '__proto__';
/** No record field nests deeper; a deeper value would only exhaust the stack of every parser. */
const MAX_VALUE_DEPTH = 32;

/**
 * What makes a raw value unacceptable before it is parsed: a `__proto__` key, too much nesting, or
 * a string or key that breaks the text rule (said here with where, which a union's issue cannot).
 */
function structuralProblem(value: unknown, depth = 0, path = ''): string | null {
  const where = path ? ` (at ${path})` : '';
  if (typeof value === 'string') return textProblem(value) === null ? null : `${TEXT_RULE}${where}`;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_VALUE_DEPTH) return `values nest at most ${MAX_VALUE_DEPTH} levels deep`;
  for (const [key, inner] of Object.entries(value)) {
    if (textProblem(key) !== null) return `${TEXT_RULE} (in a key${path ? ` at ${path}` : ''})`;
    const at = path ? `${path}.${key}` : key;
    if (key === PROTO_KEY) return `the key ${PROTO_KEY} is not allowed (at ${at})`;
    const below = structuralProblem(inner, depth + 1, at);
    if (below !== null) return below;
  }
  return null;
}

/**
 * zod drops a `__proto__` key from a parsed record without a word (copying it would set a
 * prototype), so a value carrying one would be journaled changed; it is refused instead. The
 * refused value is not handed on to the recursive schema, which could overflow the stack.
 */
const operationValue = z.preprocess((value, ctx) => {
  const problem = structuralProblem(value);
  if (problem === null) return value;
  ctx.addIssue({ code: 'custom', message: problem });
  return null;
}, jsonValue);

/** A map entry's key becomes an object key: `__proto__` there would set a prototype, not an entry. */
const mapKey = identifier.refine((key) => key !== PROTO_KEY, `the key ${PROTO_KEY} is not allowed`);

export const fieldOperationSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('set'), field: identifier, key: mapKey.optional(), value: operationValue }),
  z.strictObject({ op: z.literal('increment'), field: identifier, by: z.number().int().min(-1_000_000).max(1_000_000) }),
  z.strictObject({ op: z.literal('add'), field: identifier, member: text().min(1).max(256) }),
  z.strictObject({ op: z.literal('remove'), field: identifier, member: text().min(1).max(256) }),
  z.strictObject({ op: z.literal('tombstone') }),
]);
export type FieldOperation = z.infer<typeof fieldOperationSchema>;

export const recordActionSchema = z.enum(['create', 'update', 'submit', 'delete']);
export type RecordAction = z.infer<typeof recordActionSchema>;

export const MAX_OPERATIONS = 200;
export const operationListSchema = z.array(fieldOperationSchema).max(MAX_OPERATIONS);

/** A submit may carry last edits or none (it only seals the record); every other action changes something. */
export function requireOperationsUnlessSubmit(value: { action: RecordAction; ops: readonly unknown[] }, ctx: z.RefinementCtx): void {
  if (value.ops.length === 0 && value.action !== 'submit') {
    ctx.addIssue({ code: 'custom', path: ['ops'], message: `every ${value.action} needs at least one operation` });
  }
}
