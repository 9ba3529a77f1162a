import { z } from 'zod';
import { identifier } from '../field-operations.js';
import { text } from '../text.js';

/**
 * How concurrent edits of one field are settled on the office server (see the design brief):
 * lww, owner, review, server, counter, set. Deletion is record-level and always follows the
 * tombstone policy for record types that can be deleted.
 */
export type FieldPolicy =
  | { kind: 'lww' }
  | { kind: 'owner'; owner: 'office' | 'field' }
  | { kind: 'review' }
  | { kind: 'server' }
  | { kind: 'counter' }
  | { kind: 'set' };

export type FieldKind = 'scalar' | 'counter' | 'set' | 'map';

export interface FieldSpec {
  kind: FieldKind;
  /** Value schema for scalars, member schema for sets, entry schema for maps. */
  schema: z.ZodType;
  policy: FieldPolicy;
  /** Must hold a value once the record is created. */
  required: boolean;
  /** Set only when the record is created (identity and references). */
  immutable: boolean;
}

export interface RecordTypeSpec<F extends Record<string, FieldSpec> = Record<string, FieldSpec>> {
  type: string;
  label: string;
  fields: F;
  /** Can be tombstoned; deletes are soft and audited. */
  deletable: boolean;
  /** Becomes immutable once submitted; corrections are new records that reference it. */
  submittable: boolean;
  /** Field naming the record a correction corrects (submittable types only). */
  correctionField?: string;
  /** Completeness checks run at submit; each string is a problem the operator must fix. */
  submitChecks?: (state: RecordFields) => string[];
}

export type RecordFields = Record<string, unknown>;

type FieldOptions = { required?: boolean; immutable?: boolean };

function spec(kind: FieldKind, schema: z.ZodType, policy: FieldPolicy, options: FieldOptions = {}): FieldSpec {
  return { kind, schema, policy, required: options.required ?? false, immutable: options.immutable ?? false };
}

export const field = {
  lww: (schema: z.ZodType, options?: FieldOptions) => spec('scalar', schema, { kind: 'lww' }, options),
  officeOwned: (schema: z.ZodType, options?: FieldOptions) => spec('scalar', schema, { kind: 'owner', owner: 'office' }, options),
  fieldOwned: (schema: z.ZodType, options?: FieldOptions) => spec('scalar', schema, { kind: 'owner', owner: 'field' }, options),
  review: (schema: z.ZodType, options?: FieldOptions) => spec('scalar', schema, { kind: 'review' }, options),
  serverAuthoritative: (schema: z.ZodType, options?: FieldOptions) => spec('scalar', schema, { kind: 'server' }, options),
  counter: () => spec('counter', z.number().int(), { kind: 'counter' }),
  set: (member: z.ZodType) => spec('set', member, { kind: 'set' }),
  lwwMap: (entry: z.ZodType) => spec('map', entry, { kind: 'lww' }),
};

export function defineRecordType<F extends Record<string, FieldSpec>>(definition: RecordTypeSpec<F>): RecordTypeSpec<F> {
  return definition;
}

/** A record id names records as the journal does. */
export const id = identifier;
/** The most characters a short text (a defect, a plate) and a long one (a note, remarks) may hold: forms stop typing there. */
export const SHORT_TEXT_MAX = 200;
export const LONG_TEXT_MAX = 5000;
export const shortText = text().trim().min(1).max(SHORT_TEXT_MAX);
export const longText = text().max(LONG_TEXT_MAX);
export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'an attachment is named by its SHA-256');
export const epochMs = z.number().int().nonnegative();
export const draftStatus = z.enum(['draft', 'submitted']);
