import type { FieldOperation, RecordAction } from './journal.js';
import { isSubmitted, type RecordState } from './operations.js';
import type { RecordTypeSpec } from './records/define.js';

/**
 * Corrections. A submitted record is never edited in place; a new record of the same type names
 * it in the type's correction field instead. The device refuses a bad correction at the write path
 * and the office, which does not take a device's word for it, refuses it at the push: both ask
 * these two functions.
 */

/** The id of the original a new record corrects, or null when it corrects nothing. */
export function correctedRecordId(spec: RecordTypeSpec | undefined, action: RecordAction, ops: readonly FieldOperation[]): string | null {
  const field = spec?.correctionField;
  if (!field || action !== 'create') return null;
  const named = ops.find((op) => op.op === 'set' && op.field === field);
  return named?.op === 'set' && typeof named.value === 'string' ? named.value : null;
}

/** Why a correction of `originalId` may not be made, given the original as this side holds it; null when it may. */
export function correctionProblem(spec: RecordTypeSpec, originalId: string, original: RecordState | null): string | null {
  const label = spec.label.toLowerCase();
  if (!original) return `the ${label} being corrected (${originalId}) does not exist`;
  if (original.deleted || !isSubmitted(spec, original)) return `only a submitted ${label} can be corrected; edit the draft instead`;
  return null;
}
