/**
 * Canonical JSON (compatible with RFC 8785 / JCS for the values we allow): object keys sorted by
 * UTF-16 code units, no whitespace, ECMAScript number formatting. Hashes and signatures are taken
 * over these bytes, so device and office must produce exactly the same text for the same value.
 */
export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | CanonicalValue[]
  | { [key: string]: CanonicalValue };

export class CanonicalEncodingError extends Error {
  constructor(path: string, problem: string) {
    super(`cannot encode ${path || 'value'} canonically: ${problem}`);
    this.name = 'CanonicalEncodingError';
  }
}

export function canonicalize(value: unknown): string {
  return encode(value, []);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

/** Where in the value the encoder is: object keys and array indexes, turned into text only for an error. */
type Path = (string | number)[];

function describePath(path: Path): string {
  return path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('');
}

function encode(value: unknown, path: Path): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalEncodingError(describePath(path), `non-finite number ${value}`);
      // -0 and 0 must encode the same way on both sides.
      return JSON.stringify(Object.is(value, -0) ? 0 : value);
    case 'string':
      // A lone surrogate is written as its \u escape (as JSON.stringify does): no text may hold one
      // (protocol/text.ts), but an entry carrying one must still hash, so it can be refused by content.
      return JSON.stringify(value);
    case 'object':
      if (Array.isArray(value)) return encodeArray(value, path);
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new CanonicalEncodingError(describePath(path), 'only plain objects can be encoded');
      }
      return encodeObject(value as Record<string, unknown>, path);
    default:
      throw new CanonicalEncodingError(describePath(path), `unsupported type ${typeof value}`);
  }
}

function encodeArray(array: readonly unknown[], path: Path): string {
  // Indexing visits the holes of sparse arrays as undefined, which is refused (map would skip them
  // and emit invalid JSON).
  const items = new Array<string>(array.length);
  for (let i = 0; i < array.length; i++) {
    path.push(i);
    items[i] = encode(array[i], path);
    path.pop();
  }
  return `[${items.join(',')}]`;
}

function encodeObject(object: Record<string, unknown>, path: Path): string {
  const keys = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort();
  const members = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    path.push(key);
    members[i] = `${encode(key, path)}:${encode(object[key], path)}`;
    path.pop();
  }
  return `{${members.join(',')}}`;
}
