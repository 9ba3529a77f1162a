/**
 * A record's fields as the change from one version to another, so that a pull sends a device what
 * changed in a record it holds rather than the record again (issue 7). A field whose value is an
 * object on both sides (a checklist's answers by item, a map field) changes by key; any other
 * field is sent whole. Pure: the office diffs, the device applies.
 */

export interface EntriesDelta {
  /** Keys added or changed, with their new value. */
  set: Record<string, unknown>;
  /** Keys removed. */
  unset: string[];
}

export interface FieldsDelta {
  /** Fields added or changed, whole. */
  set: Record<string, unknown>;
  /** Fields removed. */
  unset: string[];
  /** Object-valued fields changed by key. */
  entries: Record<string, EntriesDelta>;
}

type Fields = Readonly<Record<string, unknown>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Equality of JSON values (key order does not matter, as in jsonb). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}

function diffEntries(base: Fields, next: Fields): EntriesDelta {
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) if (!Object.hasOwn(base, key) || !jsonEqual(base[key], value)) set[key] = value;
  return { set, unset: Object.keys(base).filter((key) => !Object.hasOwn(next, key)) };
}

export function diffFields(base: Fields, next: Fields): FieldsDelta {
  const delta: FieldsDelta = { set: {}, unset: Object.keys(base).filter((name) => !Object.hasOwn(next, name)), entries: {} };
  for (const [name, value] of Object.entries(next)) {
    const before = base[name];
    if (Object.hasOwn(base, name) && jsonEqual(before, value)) continue;
    if (isPlainObject(before) && isPlainObject(value)) delta.entries[name] = diffEntries(before, value);
    else delta.set[name] = value;
  }
  return delta;
}

/** How many values the delta carries: fields set or removed, keys set or removed. */
export function deltaWeight(delta: FieldsDelta): number {
  let weight = Object.keys(delta.set).length + delta.unset.length;
  for (const entries of Object.values(delta.entries)) weight += Object.keys(entries.set).length + entries.unset.length;
  return weight;
}

/** How many values sending the fields whole carries, counted as `deltaWeight` counts. */
export function fieldsWeight(fields: Fields): number {
  let weight = 0;
  for (const value of Object.values(fields)) weight += isPlainObject(value) ? Math.max(1, Object.keys(value).length) : 1;
  return weight;
}

/** Own, plain data properties only: a key such as `__proto__` is a name like any other. */
function assignOwn(target: Record<string, unknown>, values: Fields): void {
  for (const [key, value] of Object.entries(values)) Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function copyOf(value: Fields): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  assignOwn(copy, value);
  return copy;
}

export function applyFieldsDelta(base: Fields, delta: FieldsDelta): Record<string, unknown> {
  const fields = copyOf(base);
  for (const name of delta.unset) delete fields[name];
  assignOwn(fields, delta.set);
  for (const [name, entries] of Object.entries(delta.entries)) {
    const before = Object.hasOwn(fields, name) ? fields[name] : undefined;
    const next = isPlainObject(before) ? copyOf(before) : {};
    for (const key of entries.unset) delete next[key];
    assignOwn(next, entries.set);
    assignOwn(fields, { [name]: next });
  }
  return fields;
}
