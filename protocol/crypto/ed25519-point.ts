/**
 * Strict reading of Ed25519 public keys, by hand with BigInt, so that device, office and auditor
 * apply one rule whatever the signing backend would take. node:crypto (OpenSSL) and tweetnacl both
 * accept a key of small order, under which a signature with R of small order and S = 0 verifies
 * for every message, and both read encodings that are not canonical. A key is usable only when it
 * is the canonical encoding (RFC 8032, 5.1.3) of a curve point outside the eight-point torsion
 * subgroup.
 *
 * These checks are not constant-time: they only ever see public keys and signatures.
 */

const P = 2n ** 255n - 19n;
/** Order of the prime subgroup the base point generates; the whole curve has 8L points. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const D = mod(-121665n * invert(121666n));
const SQRT_MINUS_ONE = power(2n, (P - 1n) / 4n);

/** A point in extended coordinates (x = X/Z, y = Y/Z, xy = T/Z). */
interface Point {
  X: bigint;
  Y: bigint;
  Z: bigint;
  T: bigint;
}

const IDENTITY: Point = { X: 0n, Y: 1n, Z: 1n, T: 0n };

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = mod(result * b);
    b = mod(b * b);
  }
  return result;
}

function invert(a: bigint): bigint {
  return power(a, P - 2n);
}

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function encodeRaw(y: bigint, sign: 0n | 1n): Uint8Array {
  const out = new Uint8Array(32);
  let value = y | (sign << 255n);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

type Decoded = { point: Point; x: bigint; y: bigint } | string;

/** RFC 8032 5.1.3, refusing every encoding a lax decoder would reduce or repair. */
function decode(encoded: Uint8Array): Decoded {
  if (encoded.length !== 32) return 'is not 32 bytes';
  const raw = littleEndian(encoded);
  const sign = raw >> 255n;
  const y = raw & ((1n << 255n) - 1n);
  if (y >= P) return 'is not canonically encoded (its y coordinate is not below p)';
  const yy = mod(y * y);
  const u = mod(yy - 1n);
  const v = mod(D * yy + 1n);
  // x = sqrt(u/v) as u·v³·(u·v⁷)^((p-5)/8), then checked: one exponentiation instead of an inversion and a root.
  const v3 = mod(v * v * v);
  let x = mod(u * v3 * power(u * v3 * v3 * v, (P - 5n) / 8n));
  const vxx = mod(v * x * x);
  if (vxx === mod(-u)) x = mod(x * SQRT_MINUS_ONE);
  else if (vxx !== u) return 'is not a point on the curve';
  if (x === 0n && sign === 1n) return 'is not canonically encoded (x is zero but its sign bit is set)';
  if ((x & 1n) !== sign) x = P - x;
  return { point: { X: x, Y: y, Z: 1n, T: mod(x * y) }, x, y };
}

/** RFC 8032 5.1.4 doubling for a = -1. */
function double(p: Point): Point {
  const a = mod(p.X * p.X);
  const b = mod(p.Y * p.Y);
  const c = mod(2n * p.Z * p.Z);
  const h = a + b;
  const e = mod(h - (p.X + p.Y) ** 2n);
  const g = a - b;
  const f = c + g;
  return { X: mod(e * f), Y: mod(g * h), Z: mod(f * g), T: mod(e * h) };
}

/** RFC 8032 5.1.4 addition for a = -1. */
function add(p: Point, q: Point): Point {
  const a = mod((p.Y - p.X) * (q.Y - q.X));
  const b = mod((p.Y + p.X) * (q.Y + q.X));
  const c = mod(2n * D * p.T * q.T);
  const d = mod(2n * p.Z * q.Z);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { X: mod(e * f), Y: mod(g * h), Z: mod(f * g), T: mod(e * h) };
}

function multiply(p: Point, scalar: bigint): Point {
  let result = IDENTITY;
  for (let bit = BigInt(scalar.toString(2).length - 1); bit >= 0n; bit--) {
    result = double(result);
    if ((scalar >> bit) & 1n) result = add(result, p);
  }
  return result;
}

function isIdentity(p: Point): boolean {
  return p.X === 0n && p.Y === p.Z;
}

/** [8]P is the identity exactly when P lies in the torsion subgroup. */
function hasSmallOrder(p: Point): boolean {
  return isIdentity(double(double(double(p))));
}

/**
 * Why `encoded` cannot serve as an Ed25519 public key, as a predicate of "the key" (for messages
 * such as "the session key is a point of small order"), or null when it can. Not cached: about a
 * millisecond of BigInt work, so callers that see a key repeatedly keep the answer.
 */
export function inspectPublicKey(encoded: Uint8Array): string | null {
  const decoded = decode(encoded);
  if (typeof decoded === 'string') return decoded;
  return hasSmallOrder(decoded.point) ? 'is a point of small order (signatures under it can be forged for any message)' : null;
}

/**
 * A generator of the torsion subgroup. [L]Q lies in that subgroup for any curve point Q, and
 * generates it when its order is 8, as it is for about half of all points: the loop ends after a
 * few candidates.
 */
function torsionGenerator(): Point {
  for (let y = 2n; y < 64n; y++) {
    const decoded = decode(encodeRaw(y, 0n));
    if (typeof decoded === 'string') continue;
    const torsion = multiply(decoded.point, L);
    if (!isIdentity(double(double(torsion)))) return torsion;
  }
  throw new Error('no order-8 torsion point among the first candidates');
}

/** Every encoding a decoder that reduces y mod p and ignores the sign of x = 0 reads as `p`. */
function laxEncodings(p: Point): Uint8Array[] {
  const zInverse = invert(p.Z);
  const x = mod(p.X * zInverse);
  const y = mod(p.Y * zInverse);
  const signs: (0n | 1n)[] = x === 0n ? [0n, 1n] : [x & 1n ? 1n : 0n];
  const ys = y + P < 1n << 255n ? [y, y + P] : [y];
  return ys.flatMap((value) => signs.map((sign) => encodeRaw(value, sign)));
}

function deriveSmallOrderEncodings(): readonly Uint8Array[] {
  const generator = torsionGenerator();
  const encodings: Uint8Array[] = [];
  let point = generator;
  for (let i = 0; i < 8; i++) {
    encodings.push(...laxEncodings(point));
    point = add(point, generator);
  }
  return encodings;
}

/**
 * The 32-byte strings that name one of the eight small-order points, canonically or not (14 in
 * all). A signature whose R is one of them is refused without any curve arithmetic.
 */
export const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = deriveSmallOrderEncodings();

export function isSmallOrderEncoding(bytes: Uint8Array): boolean {
  return SMALL_ORDER_ENCODINGS.some((encoding) => encoding.every((byte, i) => byte === bytes[i]));
}
