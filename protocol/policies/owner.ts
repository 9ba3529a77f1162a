import { expectScalarSet } from './input.js';
import { lwwPolicy } from './lww.js';
import { describeChange } from './stamps.js';
import type { FieldPolicyFunction, FieldResolution, FieldState, FieldWrite, Origin } from './types.js';

/**
 * One side owns the field (office: assignee, due date; field devices: completion fields).
 *
 * The owner side's write always applies over the other side: when it was concurrent with a value
 * the other side set, that value is reported as `superseded`. Two concurrent writes from the owner
 * side itself (two inspectors completing the same work order) are settled by last-writer-wins so
 * that neither disappears unreported and arrival order does not decide.
 *
 * The other side's write applies when its author had seen the current value; when it is
 * concurrent it is `rejected` with a reason naming the owner, kept in the history, never applied.
 */
export function ownerPolicy(owner: Origin): FieldPolicyFunction {
  return OWNED_BY[owner];
}

/** The owner side's write: applies, and wins over the other side even when concurrent. */
export function ownerSideWrite(owner: Origin, current: FieldState | null, write: FieldWrite, concurrent: boolean): FieldResolution {
  const op = expectScalarSet(write, `${owner}-owned`);
  if (!current || !concurrent) return { outcome: 'applied', value: op.value };
  if (current.origin === owner) return lwwPolicy(current, write, concurrent);
  return {
    outcome: 'merged',
    value: op.value,
    superseded: current.value,
    reason: `${op.field} belongs to ${ownerName(owner)}: this change replaced a concurrent one by ${describeChange(current)}`,
  };
}

export function ownerName(owner: Origin): string {
  return owner === 'office' ? 'the office' : 'the field devices';
}

function ownedBy(owner: Origin): FieldPolicyFunction {
  return (current, write, concurrent) => {
    if (write.origin === owner) return ownerSideWrite(owner, current, write, concurrent);
    const op = expectScalarSet(write, `${owner}-owned`);
    if (!current || !concurrent) return { outcome: 'applied', value: op.value };
    return {
      outcome: 'rejected',
      reason:
        `${op.field} belongs to ${ownerName(owner)}: ${describeChange(current)} changed it after the version this edit ` +
        'was made on, so this edit is kept in the history and not applied',
    };
  };
}

const OWNED_BY: Record<Origin, FieldPolicyFunction> = { office: ownedBy('office'), field: ownedBy('field') };
