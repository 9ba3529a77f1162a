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
  return encode(value, '');
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalEncodingError(path, `non-finite number ${value}`);
      // -0 and 0 must encode the same way on both sides.
      return JSON.stringify(Object.is(value, -0) ? 0 : value);
    case 'string':
      if (!value.isWellFormed()) throw new CanonicalEncodingError(path, 'string with a lone surrogate');
      return JSON.stringify(value);
    case 'object':
      // Array.from visits holes of sparse arrays (map skips them and would emit invalid JSON).
      if (Array.isArray(value)) return `[${Array.from(value, (item, i) => encode(item, `${path}[${i}]`)).join(',')}]`;
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new CanonicalEncodingError(path, 'only plain objects can be encoded');
      }
      return encodeObject(value as Record<string, unknown>, path);
    default:
      throw new CanonicalEncodingError(path, `unsupported type ${typeof value}`);
  }
}

function encodeObject(object: Record<string, unknown>, path: string): string {
  const keys = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort();
  const members = keys.map((key) => `${encode(key, `${path}.${key}`)}:${encode(object[key], `${path}.${key}`)}`);
  return `{${members.join(',')}}`;
}
