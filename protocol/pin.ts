import { createHmac, scryptSync, timingSafeEqual } from 'node:crypto';
import { MAX_PIN_LENGTH, MIN_PIN_LENGTH } from './wire/shapes.js';
import { type ScryptVerifier, formatScryptVerifier, parseScryptVerifier } from './crypto/scrypt-verifier.js';

/**
 * PIN verifiers. The office makes an scrypt verifier when an operator's PIN is set and syncs it to
 * the devices of their site. A device keeps only a peppered form: the scrypt output keyed-hashed
 * with a 32-byte secret of its own sealed in the OS keystore, so a copy of the device database
 * alone gives nothing to test PIN guesses against, however cheap 4-digit guesses are. Throttling
 * guesses on the device itself is the device's job.
 */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const HASH_BYTES = 32;
const SALT_BYTES = 16;
export const PIN_PEPPER_BYTES = 32;
/** The office's verifier: scrypt output in the clear. */
const OFFICE_SCHEME = 'scrypt';
/** The device's verifier: HMAC-SHA256 under the device pepper of the scrypt output. */
const DEVICE_SCHEME = 'scrypt-hmac-sha256';
const PEPPER_DOMAIN = 'waypost/pin-verifier/v1\0';

export { MAX_PIN_LENGTH, MIN_PIN_LENGTH };

type ParsedVerifier = ScryptVerifier & { scheme: typeof OFFICE_SCHEME | typeof DEVICE_SCHEME };

export function makePinVerifier(pin: string, salt: Uint8Array): string {
  assertPinShape(pin);
  const hash = scryptSync(pin, salt, HASH_BYTES, PARAMS);
  return formatScryptVerifier({ scheme: OFFICE_SCHEME, params: PARAMS, salt: Buffer.from(salt), digest: hash });
}

/** The form a device stores of an office verifier: salt and parameters kept, the scrypt output replaced by its HMAC under `pepper`. */
export function pepperPinVerifier(officeVerifier: string, pepper: Uint8Array): string {
  const parsed = parse(officeVerifier, OFFICE_SCHEME);
  return formatScryptVerifier({ ...parsed, scheme: DEVICE_SCHEME, digest: keyedDigest(parsed.digest, pepper) });
}

export function isPepperedPinVerifier(verifier: string): boolean {
  return verifier.startsWith(`${DEVICE_SCHEME}$`);
}

/** Checks a PIN against a device (peppered) verifier: scrypt as the office did, then the HMAC under `pepper`. */
export function checkPin(pin: string, verifier: string, pepper: Uint8Array): boolean {
  const { params, salt, digest } = parse(verifier, DEVICE_SCHEME);
  return timingSafeEqual(keyedDigest(scryptSync(pin, salt, HASH_BYTES, params), pepper), digest);
}

/**
 * A verifier no PIN matches, checked for a badge the device does not know so that answering it
 * costs the same scrypt work as a wrong PIN for a real badge. Derived from the pepper, so it is the
 * same on every start and draws no randomness.
 */
export function decoyPinVerifier(pepper: Uint8Array): string {
  const derive = (label: string) => createHmac('sha256', checkedPepper(pepper)).update(`waypost/pin-decoy/${label}`).digest();
  return formatScryptVerifier({ scheme: DEVICE_SCHEME, params: PARAMS, salt: derive('salt').subarray(0, SALT_BYTES), digest: derive('digest') });
}

export function assertPinShape(pin: string): void {
  if (!new RegExp(`^\\d{${MIN_PIN_LENGTH},${MAX_PIN_LENGTH}}$`).test(pin)) throw new Error(`a PIN is ${MIN_PIN_LENGTH} to ${MAX_PIN_LENGTH} digits`);
}

function keyedDigest(hash: Uint8Array, pepper: Uint8Array): Buffer {
  return createHmac('sha256', checkedPepper(pepper)).update(PEPPER_DOMAIN).update(hash).digest();
}

function checkedPepper(pepper: Uint8Array): Uint8Array {
  if (pepper.length !== PIN_PEPPER_BYTES) throw new Error(`a PIN pepper is ${PIN_PEPPER_BYTES} bytes`);
  return pepper;
}

function parse(verifier: string, scheme: ParsedVerifier['scheme']): ParsedVerifier {
  const parsed = parseScryptVerifier(verifier, scheme, HASH_BYTES);
  if (!parsed) throw new Error('unknown PIN verifier format');
  return { ...parsed, scheme };
}
