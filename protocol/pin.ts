import { scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * PIN verifiers: made by the office when an operator's PIN is set, synced to the devices of their
 * site, checked on the device so sign-in works offline. scrypt makes a stolen verifier costly to
 * brute-force; lockout after repeated failures is the device's job.
 */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const HASH_BYTES = 32;
const BASE64 = '[A-Za-z0-9+/]+={0,2}';
const VERIFIER_PATTERN = new RegExp(`^scrypt\\$([1-9]\\d{0,6})\\$([1-9]\\d{0,2})\\$([1-9]\\d{0,2})\\$(${BASE64})\\$(${BASE64})$`);

export function makePinVerifier(pin: string, salt: Uint8Array): string {
  assertPinShape(pin);
  const hash = scryptSync(pin, salt, HASH_BYTES, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, Buffer.from(salt).toString('base64'), hash.toString('base64')].join('$');
}

export function checkPin(pin: string, verifier: string): boolean {
  const match = VERIFIER_PATTERN.exec(verifier);
  const expected = Buffer.from(match?.[5] ?? '', 'base64');
  // A hash shorter than makePinVerifier writes would match more PINs than one; an empty one, every PIN.
  if (!match || expected.length !== HASH_BYTES) throw new Error('unknown PIN verifier format');
  const [, n, r, p, salt] = match;
  const actual = scryptSync(pin, Buffer.from(salt!, 'base64'), HASH_BYTES, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

export function assertPinShape(pin: string): void {
  if (!/^\d{4,12}$/.test(pin)) throw new Error('a PIN is 4 to 12 digits');
}
