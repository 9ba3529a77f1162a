import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  type SignerBackend,
  createSigner,
  isCanonicalSignature,
  publicKeyFromSeed,
  SIGNATURE_DOMAINS,
  signInDomain,
  verifyInDomain,
  verifySignature,
} from './ed25519.js';
import { bytesToHex, hexToBytes } from './hash.js';
import { malleateSignature, seedFrom } from '../../test/support/chain-fixtures.js';

const BACKENDS: readonly SignerBackend[] = ['tweetnacl', 'node'];

/** RFC 8032 section 7.1, TEST 1 to 3 (Ed25519): secret key (seed), public key, message, signature. */
const RFC8032_VECTORS = [
  {
    name: 'TEST 1 (empty message)',
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2 (one byte)',
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3 (two bytes)',
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('RFC 8032 test vectors', () => {
  const cases = RFC8032_VECTORS.flatMap((vector) => BACKENDS.map((backend) => ({ ...vector, backend })));

  it.each(cases)('$name: the $backend signer derives the published key and signature', ({ seed, publicKey, message, signature, backend }) => {
    const signer = createSigner(hexToBytes(seed), backend);
    expect(bytesToHex(signer.publicKey)).toBe(publicKey);
    expect(bytesToHex(publicKeyFromSeed(hexToBytes(seed)))).toBe(publicKey);
    expect(bytesToHex(signer.sign(hexToBytes(message)))).toBe(signature);
  });

  it.each(cases)('$name: the $backend verifier accepts the published signature and nothing else', ({ publicKey, message, signature, backend }) => {
    const key = hexToBytes(publicKey);
    const published = hexToBytes(signature);
    expect(verifySignature(key, hexToBytes(message), published, backend)).toBe(true);
    expect(verifySignature(key, Uint8Array.of(...hexToBytes(message), 0), published, backend)).toBe(false);
    const bitFlipped = published.slice();
    bitFlipped[0]! ^= 0x80;
    expect(verifySignature(key, hexToBytes(message), bitFlipped, backend)).toBe(false);
  });
});

describe('tweetnacl and node:crypto are interchangeable', () => {
  it('sign byte-identically for random keys and messages, and each verifies the other', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, message) => {
        const fromNacl = createSigner(seed, 'tweetnacl').sign(message);
        const fromNode = createSigner(seed, 'node').sign(message);
        const publicKey = publicKeyFromSeed(seed);
        expect(bytesToHex(fromNode)).toBe(bytesToHex(fromNacl));
        expect(verifySignature(publicKey, message, fromNacl, 'node')).toBe(true);
        expect(verifySignature(publicKey, message, fromNode, 'tweetnacl')).toBe(true);
        expect(nacl.sign.detached.verify(message, fromNode, publicKey)).toBe(true);
      }),
      { numRuns: 40, seed: 8032 },
    );
  });

  it('agree on rejecting a signature made by another key', () => {
    const message = new TextEncoder().encode('gate-in TGHU6201437');
    const signature = createSigner(seedFrom('kiosk A'), 'node').sign(message);
    const otherKey = publicKeyFromSeed(seedFrom('kiosk B'));
    for (const backend of BACKENDS) expect(verifySignature(otherKey, message, signature, backend)).toBe(false);
  });
});

describe('signer lifecycle and input checks', () => {
  it.each(BACKENDS)('a destroyed %s signer refuses to sign but keeps its public key', (backend) => {
    const signer = createSigner(seedFrom('session to end'), backend);
    const publicKey = signer.publicKey.slice();
    signer.sign(Uint8Array.of(1));

    signer.destroy();

    expect(signer.destroyed).toBe(true);
    expect(() => signer.sign(Uint8Array.of(1))).toThrow('signer was destroyed');
    expect(signer.publicKey).toEqual(publicKey);
    expect(() => signer.destroy()).not.toThrow();
  });

  it.each([0, 31, 33, 64])('refuses a %i-byte seed', (length) => {
    for (const backend of BACKENDS) expect(() => createSigner(new Uint8Array(length), backend)).toThrow('an Ed25519 seed is 32 bytes');
  });

  it.each(BACKENDS)('the %s verifier answers false (no throw) for keys and signatures of the wrong size', (backend) => {
    const signer = createSigner(seedFrom('sizes'), backend);
    const message = Uint8Array.of(7);
    const signature = signer.sign(message);
    expect(verifySignature(signer.publicKey.subarray(0, 31), message, signature, backend)).toBe(false);
    expect(verifySignature(signer.publicKey, message, signature.subarray(0, 63), backend)).toBe(false);
    expect(verifySignature(signer.publicKey, message, Uint8Array.of(...signature, 0), backend)).toBe(false);
  });
});

describe('canonical signatures (S < L)', () => {
  const L_MINUS_ONE_LE = 'ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010';
  const L_LE = 'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010';
  const withScalar = (scalarHex: string) => Uint8Array.of(...new Uint8Array(32), ...hexToBytes(scalarHex));

  it('accepts S = L - 1 and rejects S = L and S = 2^256 - 1', () => {
    expect(isCanonicalSignature(withScalar(L_MINUS_ONE_LE))).toBe(true);
    expect(isCanonicalSignature(withScalar(L_LE))).toBe(false);
    expect(isCanonicalSignature(withScalar('ff'.repeat(32)))).toBe(false);
    expect(isCanonicalSignature(new Uint8Array(63))).toBe(false);
  });

  it.each(BACKENDS)('the %s verifier rejects S + L, which raw tweetnacl accepts', (backend) => {
    const signer = createSigner(seedFrom('malleable'), backend);
    const message = new TextEncoder().encode('seal 4471123');
    const malleated = malleateSignature(signer.sign(message));

    expect(nacl.sign.detached.verify(message, malleated, signer.publicKey)).toBe(true);
    expect(verifySignature(signer.publicKey, message, malleated, backend)).toBe(false);
  });
});

describe('domain-separated signing', () => {
  it('a signature made for one purpose never verifies for another', () => {
    const signer = createSigner(seedFrom('device identity'), 'tweetnacl');
    const payload = new TextEncoder().encode('{"head":"..."}');
    const domains = Object.values(SIGNATURE_DOMAINS);
    for (const signedIn of domains) {
      const signature = signInDomain(signer, signedIn, payload);
      for (const checkedIn of domains) {
        expect(verifyInDomain(signer.publicKey, checkedIn, payload, signature), `${signedIn} checked as ${checkedIn}`).toBe(signedIn === checkedIn);
      }
      expect(verifySignature(signer.publicKey, payload, signature)).toBe(false);
    }
  });
});
