import { canonicalize } from '../canonical.js';
import { expectScalarSet } from './input.js';
import { describeChange } from './stamps.js';
import type { FieldPolicyFunction } from './types.js';

/**
 * Concurrent edits go to a reviewer (billing lines, parts usage, signatures).
 *
 * A write whose author had seen the current value applies. A concurrent write with a different
 * value comes back `review` carrying both versions: the current value stays in place and the
 * proposed one waits for the reviewer (the caller files the review item and marks the record
 * pending review). A concurrent write of the same value (compared as canonical JSON, so key order
 * in objects does not matter) has nothing to decide and is `merged`.
 */
export const reviewPolicy: FieldPolicyFunction = (current, write, concurrent) => {
  const op = expectScalarSet(write, 'review');
  if (!current || !concurrent) return { outcome: 'applied', value: op.value };
  if (canonicalize(current.value) === canonicalize(op.value)) {
    return { outcome: 'merged', value: current.value, reason: `${op.field}: the same value was written concurrently` };
  }
  return {
    outcome: 'review',
    reason: `${op.field} was changed concurrently by ${describeChange(current)}; a reviewer decides which version stays`,
    current: current.value,
    proposed: op.value,
  };
};
