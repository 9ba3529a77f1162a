import fc from 'fast-check';
import { fieldStateAfter, type Author, type FieldPolicyFunction, type FieldState, type FieldWrite } from '../../protocol/policies/index.js';

/** Builders and generators for the conflict-policy tests (protocol/policies/*.test.ts). */
export const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

export function device(deviceId: string, seq: number, operatorId = 'op-ines'): Author {
  return { operatorId, deviceId, seq };
}

export function office(operatorId = 'op-dana'): Author {
  return { operatorId, deviceId: null, seq: null };
}

/** A write with plausible defaults (a device write on a never-synced record); tests override what they are about. */
export function fieldWrite(op: FieldWrite['op'], overrides: Partial<Omit<FieldWrite, 'op'>> = {}): FieldWrite {
  const author = overrides.author ?? device('cab-1', 1);
  return {
    op,
    origin: author.deviceId === null ? 'office' : 'field',
    effectiveTime: T0,
    receivedAt: T0 + 1_000,
    author,
    baseVersion: null,
    version: 1,
    ...overrides,
  };
}

/** The state `write` leaves on an empty field: the starting point of most tests. */
export function stateFrom(policy: FieldPolicyFunction, write: FieldWrite): FieldState {
  const state = fieldStateAfter(null, write, policy(null, write, false));
  if (!state) throw new Error(`the first ${write.op.op} of ${write.op.field} did not apply`);
  return state;
}

/** Folds writes through a policy in the given order, each treated as concurrent with what the field holds. */
export function foldConcurrent(policy: FieldPolicyFunction, writes: readonly FieldWrite[]): FieldState | null {
  return writes.reduce<FieldState | null>((state, write) => fieldStateAfter(state, write, policy(state, write, state !== null)), null);
}

/** Every order of `items` is possible. */
export function permutations<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
}

/**
 * Orders that keep each sequence's own order and interleave the sequences in every possible way:
 * how the server may receive several devices' entries (one device's entries always in sequence).
 */
export function interleavings<T>(sequences: readonly (readonly T[])[]): fc.Arbitrary<T[]> {
  const slots = sequences.flatMap((sequence, index) => sequence.map(() => index));
  return permutations(slots).map((order) => {
    const next = sequences.map(() => 0);
    return order.map((index) => sequences[index]![next[index]!++]!);
  });
}

/** Device and office authors drawn from one pool of operator ids, so only device and sequence tell them apart. */
export const authorArb: fc.Arbitrary<Author> = fc.oneof(
  fc.record({ operatorId: fc.constantFrom('op-ines', 'op-dana'), deviceId: fc.constantFrom('cab-1', 'cab-2'), seq: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ operatorId: fc.constantFrom('op-ines', 'op-dana'), deviceId: fc.constant(null), seq: fc.constant(null) }),
);

/**
 * Writes of `op`s with few distinct times and authors, so ties are common, numbered with distinct
 * record versions as the server would give them.
 */
export function concurrentWrites(op: fc.Arbitrary<FieldWrite['op']>, maxLength = 8): fc.Arbitrary<FieldWrite[]> {
  const write = fc.record({ op, author: authorArb, effectiveTime: fc.integer({ min: 0, max: 3 }), receivedAt: fc.integer({ min: 0, max: 3 }) });
  return fc.array(write, { minLength: 1, maxLength }).map((drafts) =>
    drafts.map(({ op, author, effectiveTime, receivedAt }, index) =>
      fieldWrite(op, { author, effectiveTime: T0 + effectiveTime, receivedAt: T0 + receivedAt, version: index + 1 }),
    ),
  );
}
