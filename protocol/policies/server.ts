import { expectScalarSet } from './input.js';
import { ownerSideWrite } from './owner.js';
import type { FieldPolicyFunction } from './types.js';

/**
 * Server-authoritative (on-hand inventory counts): only the office sets the value. A device's
 * write never changes it, concurrent or not; it comes back `observed` and the server keeps it as
 * an observation next to the office figure. Office writes apply as the owner side's would.
 */
export const serverPolicy: FieldPolicyFunction = (current, write, concurrent) => {
  if (write.origin === 'office') return ownerSideWrite('office', current, write, concurrent);
  const op = expectScalarSet(write, 'server-authoritative');
  return {
    outcome: 'observed',
    reason: `${op.field} is kept by the office; the device's value is recorded as an observation and does not change it`,
  };
};
