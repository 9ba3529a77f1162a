import type { z } from 'zod';
import type { FieldOperation } from '../field-operations.js';
import { type FieldSpec, type RecordFields, type RecordTypeSpec, sha256 } from './define.js';

/**
 * Which record fields hold attachments (photos, signatures), read from the registry: a field holds
 * one when its value schema is the shared `sha256` schema (or its nullable form), either as a
 * scalar or as the members of a set. Adding such a field to a record type is all it takes for the
 * write path to check its references and for garbage collection to keep the files it names.
 */
export const ATTACHMENT_MIME_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type AttachmentMimeType = (typeof ATTACHMENT_MIME_TYPES)[number];
/** The largest attachment a device keeps and the office accepts. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

export interface AttachmentField {
  name: string;
  kind: 'scalar' | 'set';
}

function namesAttachment(schema: z.ZodType): boolean {
  if (schema === sha256) return true;
  return schema.def.type === 'nullable' && (schema.def as unknown as { innerType: z.ZodType }).innerType === sha256;
}

function holdsAttachments(field: FieldSpec): field is FieldSpec & { kind: 'scalar' | 'set' } {
  return (field.kind === 'scalar' || field.kind === 'set') && namesAttachment(field.schema);
}

const fieldsBySpec = new WeakMap<RecordTypeSpec, readonly AttachmentField[]>();

export function attachmentFields(spec: RecordTypeSpec): readonly AttachmentField[] {
  let fields = fieldsBySpec.get(spec);
  if (!fields) {
    fields = Object.entries(spec.fields).flatMap(([name, field]) => (holdsAttachments(field) ? [{ name, kind: field.kind }] : []));
    fieldsBySpec.set(spec, fields);
  }
  return fields;
}

export interface AttachmentReference {
  field: string;
  sha256: string;
}

/** The attachments an action's operations put into a record: values set into, and members added to, attachment fields. */
export function attachmentsNamedBy(spec: RecordTypeSpec, ops: readonly FieldOperation[]): AttachmentReference[] {
  const fields = attachmentFields(spec);
  if (fields.length === 0) return [];
  const named: AttachmentReference[] = [];
  for (const op of ops) {
    if (op.op === 'tombstone') continue;
    const field = fields.find((candidate) => candidate.name === op.field);
    if (field?.kind === 'scalar' && op.op === 'set' && typeof op.value === 'string') named.push({ field: field.name, sha256: op.value });
    if (field?.kind === 'set' && op.op === 'add') named.push({ field: field.name, sha256: op.member });
  }
  return named;
}

/** The attachments a record's fields hold now. */
export function attachmentsHeldBy(spec: RecordTypeSpec, fields: RecordFields): string[] {
  return attachmentFields(spec).flatMap(({ name, kind }) => {
    const value = fields[name];
    if (kind === 'set') return Array.isArray(value) ? value.filter((member): member is string => typeof member === 'string') : [];
    return typeof value === 'string' ? [value] : [];
  });
}

/**
 * The image type the bytes themselves are, by their signature: what is stored must be what it is
 * declared to be, since it is shown back as that type.
 */
export function sniffImageType(bytes: Uint8Array): AttachmentMimeType | null {
  const startsWith = (signature: readonly number[], at = 0) => signature.every((byte, index) => bytes[at + index] === byte);
  if (startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith([0xff, 0xd8, 0xff])) return 'image/jpeg';
  // "RIFF" <size> "WEBP"
  if (startsWith([0x52, 0x49, 0x46, 0x46]) && startsWith([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return null;
}
