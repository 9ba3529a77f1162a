import { emptyValue } from '../operations.js';
import type { FieldSpec } from '../records/define.js';
import { counterPolicy } from './counter.js';
import { lwwMapPolicy, lwwPolicy, mapContents } from './lww.js';
import { ownerPolicy } from './owner.js';
import { reviewPolicy } from './review.js';
import { serverPolicy } from './server.js';
import { addWinsSetPolicy, setMembers } from './set.js';
import { stampOf } from './stamps.js';
import { PolicyInputError, type FieldOutcome, type FieldPolicyFunction, type FieldResolution, type FieldState, type FieldWrite } from './types.js';

/**
 * Entry point of the policies: which function settles a field, what state a resolution leaves,
 * and what a whole entry's result is. The calling sequence is described in types.ts.
 */
export * from './counter.js';
export * from './lww.js';
export * from './owner.js';
export * from './review.js';
export * from './server.js';
export * from './set.js';
export { isConcurrent, stampOf } from './stamps.js';
export * from './tombstone.js';
export * from './types.js';

/** The function that settles a field, as the record registry declares it. */
export function policyFor(spec: FieldSpec): FieldPolicyFunction {
  const { policy } = spec;
  switch (policy.kind) {
    case 'lww':
      if (spec.kind === 'map') return lwwMapPolicy;
      return requireKind(spec, 'scalar', lwwPolicy);
    case 'owner':
      return requireKind(spec, 'scalar', ownerPolicy(policy.owner));
    case 'review':
      return requireKind(spec, 'scalar', reviewPolicy);
    case 'server':
      return requireKind(spec, 'scalar', serverPolicy);
    case 'counter':
      return requireKind(spec, 'counter', counterPolicy);
    case 'set':
      return requireKind(spec, 'set', addWinsSetPolicy);
  }
}

function requireKind(spec: FieldSpec, kind: FieldSpec['kind'], policy: FieldPolicyFunction): FieldPolicyFunction {
  if (spec.kind !== kind) throw new PolicyInputError(`the ${spec.policy.kind} policy does not settle ${spec.kind} fields`);
  return policy;
}

/** The field's state once `resolution` is in: the write's value and stamp if it changed the field. */
export function fieldStateAfter(current: FieldState | null, write: FieldWrite, resolution: FieldResolution): FieldState | null {
  if (resolution.outcome !== 'applied' && resolution.outcome !== 'merged') return current;
  return { value: resolution.value, ...stampOf(write) };
}

/** What devices store and people see for a field: sorted members for sets, key → value for maps. */
export function visibleFieldValue(spec: FieldSpec, state: FieldState | null): unknown {
  if (!state) return emptyValue(spec);
  switch (spec.kind) {
    case 'set':
      return setMembers(state.value);
    case 'map':
      return mapContents(state.value);
    default:
      return state.value;
  }
}

export type EntryOutcome = 'accepted' | 'merged' | 'conflict' | 'rejected';

/**
 * One journal entry's result from the resolutions of its operations (or from a decided record-level
 * resolution of tombstone.ts):
 *   - 'conflict' if any operation went to review (the record is pending review);
 *   - 'rejected' if every operation was rejected (nothing of the entry took effect);
 *   - 'accepted' if every operation applied as written;
 *   - 'merged' otherwise: some operation was combined, superseded or only observed, or some but not
 *     all were rejected; the device takes the canonical state the server sends back.
 */
export function resolveEntryOutcome(resolutions: readonly { outcome: FieldOutcome }[]): EntryOutcome {
  if (resolutions.length === 0) throw new PolicyInputError('an entry needs at least one resolved operation');
  if (resolutions.some(({ outcome }) => outcome === 'review')) return 'conflict';
  if (resolutions.every(({ outcome }) => outcome === 'rejected')) return 'rejected';
  if (resolutions.every(({ outcome }) => outcome === 'applied')) return 'accepted';
  return 'merged';
}
