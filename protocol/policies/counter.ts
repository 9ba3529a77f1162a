import { z } from 'zod';
import { expectOperation, parseStoredValue } from './input.js';
import type { FieldPolicyFunction } from './types.js';

/**
 * Counters (pick and tally counts): every increment adds to the current total, so concurrent
 * tallies from several clerks add up and the total does not depend on arrival order. A write made
 * on an older version is `merged` (the total includes increments its author had not seen). An
 * increment that would leave the range of exact integers is rejected rather than rounded.
 */
const countSchema = z.number().int();

export const counterPolicy: FieldPolicyFunction = (current, write, concurrent) => {
  const op = expectOperation(write, 'counter', ['increment']);
  const before = current ? parseStoredValue(countSchema, current.value, op.field, 'an integer count') : 0;
  const total = before + op.by;
  if (!Number.isSafeInteger(total)) {
    return { outcome: 'rejected', reason: `${op.field}: adding ${op.by} to ${before} leaves the range of exact counts` };
  }
  if (current && concurrent) {
    return { outcome: 'merged', value: total, reason: `${op.field}: added to concurrent increments, total ${total}` };
  }
  return { outcome: 'applied', value: total };
};
