import { canonicalize } from '../../protocol/canonical.js';
import { stampOf, visibleFieldValue } from '../../protocol/policies/index.js';
import { recordTypeSpec } from '../../protocol/records/index.js';
import type { ReviewChoice } from '../../protocol/wire.js';
import type { FieldDecision, ServerRecord } from '../db/schema.js';
import { visibleFields } from '../sync/resolve.js';

/**
 * A reviewer's decision on one review item, as a change of the record. Pure: the caller loads and
 * locks the record and the item, calls this, and persists the result as an office write.
 *
 * The reviewer keeps the value in place (`current`), takes the competing one (`proposed`), or
 * writes a value of their own (`merged`); whatever they keep must be a valid value of the field.
 * The record stays pending review while other items of it are open. A new version is made only
 * when something devices see changes (the field's value or the pending-review mark).
 */
export interface ReviewDecisionRequest {
  choice: ReviewChoice;
  value?: unknown;
  reason: string;
}

export interface ReviewedItem {
  field: string;
  key: string | null;
  proposedValue: unknown;
}

export interface DecisionContext {
  reviewer: { id: string; name: string };
  now: number;
  /** Open review items of the same record besides this one. */
  otherOpenItems: number;
}

export type DecisionOutcome =
  | { ok: true; value: unknown; next: ServerRecord | null; decision: FieldDecision }
  | { ok: false; status: 400 | 409; message: string };

/** The field `*` is a review item for an update that arrived after the record was deleted. */
export const WHOLE_RECORD = '*';

export function decideReviewItem(record: ServerRecord, item: ReviewedItem, request: ReviewDecisionRequest, context: DecisionContext): DecisionOutcome {
  const spec = recordTypeSpec(record.type);
  if (!spec) return { ok: false, status: 409, message: `record type ${record.type} is no longer known` };

  let before: unknown;
  let value: unknown;
  if (item.field === WHOLE_RECORD) {
    if (request.choice !== 'current') {
      return { ok: false, status: 409, message: 'the record was deleted and the delete stands; choose "current" to close this item' };
    }
    before = value = { deleted: true };
  } else {
    const fieldSpec = spec.fields[item.field];
    if (!fieldSpec) return { ok: false, status: 409, message: `${spec.label} has no field ${item.field}` };
    before = visibleFieldValue(fieldSpec, record.fieldStates[item.field] ?? null);
    if (request.choice === 'current') {
      value = before;
    } else {
      if (record.deleted) return { ok: false, status: 409, message: `${spec.label} ${record.id} was deleted since; only "current" can be chosen` };
      if (fieldSpec.kind !== 'scalar' || item.key !== null) {
        return { ok: false, status: 400, message: `${item.field} is not a single value; only "current" can be chosen` };
      }
      const parsed = fieldSpec.schema.safeParse(request.choice === 'proposed' ? item.proposedValue : request.value);
      if (!parsed.success) {
        return { ok: false, status: 400, message: `not a valid value of ${item.field}: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
      }
      value = parsed.data;
    }
  }

  const changed = canonicalize(value) !== canonicalize(before);
  const pendingReview = context.otherOpenItems > 0;
  const decision: FieldDecision = {
    field: item.field,
    ...(item.key !== null ? { key: item.key } : {}),
    op: 'review-decision',
    outcome: 'applied',
    reason: `${context.reviewer.name} kept the ${request.choice} version: ${request.reason}`,
    written: value,
    before,
    after: value,
  };
  if (!changed && pendingReview === record.pendingReview) return { ok: true, value, next: null, decision };

  const version = record.version + 1;
  const fieldStates = { ...record.fieldStates };
  if (changed) {
    const author = { operatorId: context.reviewer.id, deviceId: null, seq: null };
    fieldStates[item.field] = { value, ...stampOf({ version, effectiveTime: context.now, receivedAt: context.now, origin: 'office', author }) };
  }
  const next: ServerRecord = { ...record, version, fieldStates, fields: visibleFields(spec, fieldStates), pendingReview, updatedAt: context.now };
  return { ok: true, value, next, decision };
}
