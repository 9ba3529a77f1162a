import { z } from 'zod';
import { RECORD_TYPE_NAMES, type RecordType } from './records/index.js';

/**
 * The shape of one user action: which record, which action, which field operations. Pure (zod
 * only, no Node), because three parties parse it: the renderer builds it, the device core validates
 * it again before its write path (the renderer is not trusted), and journal entries carry its ops.
 */
export const identifier = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number().finite(), z.string().max(10_000), z.array(jsonValue).max(1000), z.record(z.string(), jsonValue)]),
);

const PROTO_KEY = '__proto__';
/** Deeper values are refused by the field schemas anyway; the walk stops there. */
const MAX_KEY_WALK_DEPTH = 64;

/** Where a `__proto__` key sits in a raw value (dotted path), or null. */
function protoKeyPath(value: unknown, depth = 0): string | null {
  if (typeof value !== 'object' || value === null || depth > MAX_KEY_WALK_DEPTH) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (key === PROTO_KEY) return key;
    const below = protoKeyPath(inner, depth + 1);
    if (below !== null) return `${key}.${below}`;
  }
  return null;
}

/**
 * zod drops a `__proto__` key from a parsed record without a word (copying it would set a
 * prototype), so a value carrying one would be journaled changed; it is refused instead.
 */
const operationValue = z.preprocess((value, ctx) => {
  const path = protoKeyPath(value);
  if (path !== null) ctx.addIssue({ code: 'custom', message: `the key ${PROTO_KEY} is not allowed (at ${path})` });
  return value;
}, jsonValue);

/** A map entry's key becomes an object key: `__proto__` there would set a prototype, not an entry. */
const mapKey = identifier.refine((key) => key !== PROTO_KEY, `the key ${PROTO_KEY} is not allowed`);

export const fieldOperationSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('set'), field: identifier, key: mapKey.optional(), value: operationValue }),
  z.strictObject({ op: z.literal('increment'), field: identifier, by: z.number().int().min(-1_000_000).max(1_000_000) }),
  z.strictObject({ op: z.literal('add'), field: identifier, member: z.string().min(1).max(256) }),
  z.strictObject({ op: z.literal('remove'), field: identifier, member: z.string().min(1).max(256) }),
  z.strictObject({ op: z.literal('tombstone') }),
]);
export type FieldOperation = z.infer<typeof fieldOperationSchema>;

export const recordActionSchema = z.enum(['create', 'update', 'submit', 'delete']);
export type RecordAction = z.infer<typeof recordActionSchema>;

export const recordTypeSchema = z.enum(RECORD_TYPE_NAMES as [RecordType, ...RecordType[]]);

export const actionInputSchema = z.strictObject({
  recordType: recordTypeSchema,
  /** Omitted on create: the core assigns one. */
  recordId: identifier.optional(),
  action: recordActionSchema,
  ops: z.array(fieldOperationSchema).min(1).max(200),
});
export type ActionInput = z.infer<typeof actionInputSchema>;
