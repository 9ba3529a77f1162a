import { describe, expect, it } from 'vitest';
import { assertPinShape, checkPin, makePinVerifier } from './pin.js';

const SALT = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('PIN verifiers', () => {
  const verifier = makePinVerifier('4821', SALT);

  it('are scrypt with the parameters, salt and hash spelled out', () => {
    expect(verifier).toMatch(/^scrypt\$16384\$8\$1\$AAECAwQFBgcICQoLDA0ODw==\$[A-Za-z0-9+/]{43}=$/);
  });

  it('accept the right PIN and refuse a wrong one', () => {
    expect(checkPin('4821', verifier)).toBe(true);
    expect(checkPin('4822', verifier)).toBe(false);
    expect(checkPin('48210', verifier)).toBe(false);
    expect(checkPin('', verifier)).toBe(false);
  });

  it('differ for the same PIN under another salt, and each still checks', () => {
    const other = makePinVerifier('4821', Uint8Array.from({ length: 16 }, (_, i) => 100 + i));
    expect(other).not.toBe(verifier);
    expect(checkPin('4821', other)).toBe(true);
  });

  it.each(['123', '12345678901234', '12a4', ' 1234', '١٢٣٤'])('are not made for the PIN %j', (pin) => {
    expect(() => makePinVerifier(pin, SALT)).toThrow('a PIN is 4 to 12 digits');
    expect(() => assertPinShape(pin)).toThrow('a PIN is 4 to 12 digits');
  });

  const [, , , , salt, hash] = verifier.split('$');
  it.each([
    ['an empty verifier', ''],
    ['another scheme', verifier.replace(/^scrypt/, 'bcrypt')],
    ['a missing hash', `scrypt$16384$8$1$${salt}$`],
    ['a missing salt', `scrypt$16384$8$1$$${hash}`],
    ['non-numeric parameters', verifier.replace('$16384$', '$abc$')],
    ['a zero parameter', verifier.replace('$8$', '$0$')],
    ['a hash that decodes to nothing (would match any PIN)', `scrypt$16384$8$1$${salt}$A`],
    ['a truncated hash', verifier.slice(0, -12)],
    ['an extra field', `${verifier}$x`],
  ])('refuse to check against %s', (_label, bad) => {
    expect(() => checkPin('4821', bad)).toThrow('unknown PIN verifier format');
  });
});
