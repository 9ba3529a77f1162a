import { createHash, createHmac, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assertPinShape, checkPin, decoyPinVerifier, isPepperedPinVerifier, makePinVerifier, pepperPinVerifier } from './pin.js';

const SALT = Uint8Array.from({ length: 16 }, (_, i) => i);
const PEPPER = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const OTHER_PEPPER = Uint8Array.from({ length: 32 }, (_, i) => i);

function fields(verifier: string) {
  const [scheme, n, r, p, salt, digest] = verifier.split('$');
  return { scheme, params: [n, r, p].join('$'), salt: salt!, digest: Buffer.from(digest!, 'base64') };
}

describe('office PIN verifiers', () => {
  const verifier = makePinVerifier('4821', SALT);

  it('are scrypt with the parameters, salt and hash spelled out', () => {
    expect(verifier).toMatch(/^scrypt\$16384\$8\$1\$AAECAwQFBgcICQoLDA0ODw==\$[A-Za-z0-9+/]{43}=$/);
  });

  it('differ for the same PIN under another salt', () => {
    expect(makePinVerifier('4821', Uint8Array.from({ length: 16 }, (_, i) => 100 + i))).not.toBe(verifier);
  });

  it.each(['123', '12345678901234', '12a4', ' 1234', '١٢٣٤'])('are not made for the PIN %j', (pin) => {
    expect(() => makePinVerifier(pin, SALT)).toThrow('a PIN is 4 to 12 digits');
    expect(() => assertPinShape(pin)).toThrow('a PIN is 4 to 12 digits');
  });

  it('are never checked as they are: a device checks only its peppered form', () => {
    expect(() => checkPin('4821', verifier, PEPPER)).toThrow('unknown PIN verifier format');
  });
});

describe('device (peppered) PIN verifiers', () => {
  const office = makePinVerifier('4821', SALT);
  const stored = pepperPinVerifier(office, PEPPER);

  it('keep the salt and scrypt parameters and replace the office hash', () => {
    expect(stored).toMatch(/^scrypt-hmac-sha256\$16384\$8\$1\$AAECAwQFBgcICQoLDA0ODw==\$[A-Za-z0-9+/]{43}=$/);
    expect(isPepperedPinVerifier(stored)).toBe(true);
    expect(isPepperedPinVerifier(office)).toBe(false);
    expect(fields(stored).digest.equals(fields(office).digest)).toBe(false);
  });

  it('accept the right PIN with the pepper and refuse a wrong one', () => {
    expect(checkPin('4821', stored, PEPPER)).toBe(true);
    expect(checkPin('4822', stored, PEPPER)).toBe(false);
    expect(checkPin('48210', stored, PEPPER)).toBe(false);
    expect(checkPin('', stored, PEPPER)).toBe(false);
  });

  it('refuse even the right PIN under another pepper', () => {
    expect(checkPin('4821', stored, OTHER_PEPPER)).toBe(false);
    expect(checkPin('4821', stored, new Uint8Array(32))).toBe(false);
  });

  it('give someone holding only the database nothing to test a guess against', () => {
    // Tried: what an attacker can compute from the stored salt and parameters for the RIGHT PIN,
    // and the usual unkeyed or default-keyed hashes of it. None is the stored digest.
    const scrypted = scryptSync('4821', Buffer.from(fields(stored).salt, 'base64'), 32, { N: 16384, r: 8, p: 1 });
    const derivable = [
      scrypted,
      createHash('sha256').update(scrypted).digest(),
      createHmac('sha256', Buffer.alloc(0)).update(scrypted).digest(),
      createHmac('sha256', Buffer.alloc(32)).update(scrypted).digest(),
      createHmac('sha256', Buffer.from(fields(stored).salt, 'base64')).update(scrypted).digest(),
    ];
    expect(derivable.map((bytes) => bytes.equals(fields(stored).digest))).toEqual(derivable.map(() => false));
    expect(pepperPinVerifier(office, OTHER_PEPPER)).not.toBe(stored);
  });

  it('are made only from office verifiers, with a 32-byte pepper', () => {
    expect(() => pepperPinVerifier(stored, PEPPER)).toThrow('unknown PIN verifier format');
    expect(() => pepperPinVerifier(office, PEPPER.subarray(0, 16))).toThrow('a PIN pepper is 32 bytes');
  });

  const { salt, digest } = fields(stored);
  const hash = digest.toString('base64');
  it.each([
    ['an empty verifier', ''],
    ['another scheme', stored.replace(/^scrypt-hmac-sha256/, 'bcrypt')],
    ['a missing hash', `scrypt-hmac-sha256$16384$8$1$${salt}$`],
    ['a missing salt', `scrypt-hmac-sha256$16384$8$1$$${hash}`],
    ['non-numeric parameters', stored.replace('$16384$', '$abc$')],
    ['a zero parameter', stored.replace('$8$', '$0$')],
    ['a hash that decodes to nothing (would match any PIN)', `scrypt-hmac-sha256$16384$8$1$${salt}$A`],
    ['a truncated hash', stored.slice(0, -12)],
    ['an extra field', `${stored}$x`],
  ])('refuse to check against %s', (_label, bad) => {
    expect(() => checkPin('4821', bad, PEPPER)).toThrow('unknown PIN verifier format');
  });
});

describe('the decoy verifier (badges the device does not know)', () => {
  const decoy = decoyPinVerifier(PEPPER);

  it('matches no PIN', () => {
    for (const pin of ['0000', '1234', '4821', '999999999999']) expect(checkPin(pin, decoy, PEPPER)).toBe(false);
  });

  it('asks for the same scrypt work as a real verifier, and is the same on every start', () => {
    const real = fields(pepperPinVerifier(makePinVerifier('4821', SALT), PEPPER));
    const fake = fields(decoy);
    expect({ scheme: fake.scheme, params: fake.params, saltBytes: Buffer.from(fake.salt, 'base64').length }).toEqual({
      scheme: real.scheme,
      params: real.params,
      saltBytes: Buffer.from(real.salt, 'base64').length,
    });
    expect(decoyPinVerifier(PEPPER)).toBe(decoy);
    expect(decoyPinVerifier(OTHER_PEPPER)).not.toBe(decoy);
  });
});
