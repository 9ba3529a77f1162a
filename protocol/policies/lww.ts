import { z } from 'zod';
import { expectOperation, expectScalarSet, parseStoredValue } from './input.js';
import { changeStampSchema, compareAuthors, compareText, describeChange, isConcurrent, stampOf } from './stamps.js';
import { PolicyInputError, type ChangeStamp, type FieldPolicyFunction, type FieldResolution, type FieldState } from './types.js';

/**
 * Last writer wins (status note, location, checklist items).
 *
 * A write the author made after seeing the current value (not concurrent) applies whatever the
 * clocks say: the person replaced what they saw. Between concurrent writes the latest observation
 * stays, by the total order of `compareObservations`; the replaced value is reported as
 * `superseded` on a `merged` resolution, and a write that loses comes back `superseded` with the
 * state unchanged. Both stay in the server's history. Because the order is total and does not
 * depend on arrival, concurrent writes settle on the same value whatever order they arrive in.
 *
 * Map fields (checklist items: `set` with a `key`) are last-writer-wins per key: each key keeps
 * its own stamp in a `MapValue`, so concurrent answers to different items both stay, and a key is
 * concurrent only if it changed after the author's base version (`isConcurrent`).
 */

/**
 * Total order of observations: skew-corrected device time, then server receipt, then the author
 * (device, sequence number, operator), then the record version the server gave the write.
 * Two writes compare equal only when they are the same entry.
 */
export function compareObservations(a: ChangeStamp, b: ChangeStamp): number {
  return (
    Math.sign(a.effectiveTime - b.effectiveTime) ||
    Math.sign(a.receivedAt - b.receivedAt) ||
    compareAuthors(a.author, b.author) ||
    Math.sign(a.version - b.version)
  );
}

export const lwwPolicy: FieldPolicyFunction = (current, write, concurrent) => {
  const op = expectScalarSet(write, 'lww');
  return settleLatest(op.field, current, stampOf(write), op.value, concurrent, (value) => value);
};

/** One key of a map field: its value and the stamp of the write that set it. */
export interface MapEntry extends FieldState {
  key: string;
}

/**
 * What a map field keeps in `FieldState.value`: one entry per key, sorted by key (code units).
 * An array rather than an object, so keys such as `__proto__` are plain data.
 */
export interface MapValue {
  entries: MapEntry[];
}

const mapValueSchema: z.ZodType<MapValue> = z.object({
  entries: z.array(changeStampSchema.extend({ key: z.string(), value: z.unknown() })),
});

export const lwwMapPolicy: FieldPolicyFunction = (current, write, concurrent) => {
  const op = expectOperation(write, 'lww map', ['set']);
  if (op.key === undefined) throw new PolicyInputError(`${op.field} is a map field: a set needs the key it writes`);
  const map = current ? parseMapValue(current.value, op.field) : { entries: [] };
  const existing = map.entries.find((entry) => entry.key === op.key) ?? null;
  const incoming: MapEntry = { key: op.key, value: op.value, ...stampOf(write) };
  const keyConcurrent = concurrent && isConcurrent(existing, write);
  return settleLatest(`${op.field}.${op.key}`, existing, incoming, op.value, keyConcurrent, () => withEntry(map, incoming));
};

/** The map as devices and people see it: key → value. */
/** The value a map field holds under `key` (null when none). */
export function mapEntryValue(value: unknown, key: string): unknown {
  return parseMapValue(value, 'a map field').entries.find((entry) => entry.key === key)?.value ?? null;
}

export function mapContents(value: unknown): Record<string, unknown> {
  return Object.fromEntries(parseMapValue(value, 'a map field').entries.map((entry) => [entry.key, entry.value]));
}

function parseMapValue(value: unknown, field: string): MapValue {
  return parseStoredValue(mapValueSchema, value, field, 'a map value ({ entries: [...] })');
}

function withEntry(map: MapValue, entry: MapEntry): MapValue {
  const others = map.entries.filter((existing) => existing.key !== entry.key);
  return { entries: [...others, entry].sort((a, b) => compareText(a.key, b.key)) };
}

function settleLatest(
  label: string,
  current: FieldState | null,
  incoming: ChangeStamp,
  value: unknown,
  concurrent: boolean,
  place: (value: unknown) => unknown,
): FieldResolution {
  if (!current || !concurrent) return { outcome: 'applied', value: place(value) };
  if (compareObservations(incoming, current) > 0) {
    return {
      outcome: 'merged',
      value: place(value),
      superseded: current.value,
      reason: `${label}: this later change replaced a concurrent one by ${describeChange(current)}`,
    };
  }
  return {
    outcome: 'superseded',
    reason: `${label}: a later concurrent change by ${describeChange(current)} was kept; this one stays in the history`,
  };
}
