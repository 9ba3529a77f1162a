import { scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * PIN verifiers: made by the office when an operator's PIN is set, synced to the devices of their
 * site, checked on the device so sign-in works offline. scrypt makes a stolen verifier costly to
 * brute-force; lockout after repeated failures is the device's job.
 */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;

export function makePinVerifier(pin: string, salt: Uint8Array): string {
  assertPinShape(pin);
  const hash = scryptSync(pin, salt, 32, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, Buffer.from(salt).toString('base64'), hash.toString('base64')].join('$');
}

export function checkPin(pin: string, verifier: string): boolean {
  const [scheme, n, r, p, salt, hash] = verifier.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) throw new Error('unknown PIN verifier format');
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(pin, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

export function assertPinShape(pin: string): void {
  if (!/^\d{4,12}$/.test(pin)) throw new Error('a PIN is 4 to 12 digits');
}
