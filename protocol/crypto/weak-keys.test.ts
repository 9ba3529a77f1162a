import { verify as nodeVerify, createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { inspectPublicKey, isSmallOrderEncoding, SMALL_ORDER_ENCODINGS } from './ed25519-point.js';
import {
  type SignerBackend,
  createSigner,
  publicKeyFromSeed,
  publicKeyProblem,
  SIGNATURE_DOMAINS,
  signInDomain,
  verifyInDomain,
  verifyInDomainAsync,
  verifySignature,
} from './ed25519.js';
import { bytesToHex, hexToBytes } from './hash.js';
import { seedFrom } from '../../test/support/chain-fixtures.js';

const BACKENDS: readonly SignerBackend[] = ['tweetnacl', 'node'];
const MESSAGE = new TextEncoder().encode('gate-in TGHU6201437 accepted by nobody');

/** The eight points of small order, each in its one canonical encoding (little-endian y, sign of x on top). */
const CANONICAL_SMALL_ORDER = [
  ['identity (0, 1)', '0100000000000000000000000000000000000000000000000000000000000000'],
  ['order 2 (0, -1)', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['order 4 (+sqrt(-1), 0)', '0000000000000000000000000000000000000000000000000000000000000000'],
  ['order 4 (-sqrt(-1), 0)', '0000000000000000000000000000000000000000000000000000000000000080'],
  ['order 8, even x', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'],
  ['order 8, odd x', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'],
  ['order 8, y negated, even x', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
  ['order 8, y negated, odd x', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'],
] as const;

/** The other encodings a lax decoder reads as one of those points: y + p where it fits, and "-0" for x. */
const NON_CANONICAL_SMALL_ORDER = [
  ['identity with the sign bit set (x = -0)', '0100000000000000000000000000000000000000000000000000000000000080'],
  ['order 2 with the sign bit set (x = -0)', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'],
  ['y = p (order 4)', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['y = p with the sign bit set (order 4)', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'],
  ['y = p + 1 (identity)', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['y = p + 1 with the sign bit set (identity, x = -0)', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'],
] as const;

const P = 2n ** 255n - 19n;

function encode(y: bigint, sign: 0n | 1n): Uint8Array {
  const out = new Uint8Array(32);
  let value = y | (sign << 255n);
  for (let i = 0; i < 32; i++, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}

/** R = `r`, S = 0: for a small-order key A and small-order R, [S]B = R + [k]A holds for many messages. */
function forgedSignature(r: Uint8Array): Uint8Array {
  return Uint8Array.of(...r, ...new Uint8Array(32));
}

function rawNodeVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]), format: 'der', type: 'spki' });
  return nodeVerify(null, message, key, signature);
}

describe('small-order public keys', () => {
  it.each(CANONICAL_SMALL_ORDER)('%s is refused as a public key', (_name, hex) => {
    expect(inspectPublicKey(hexToBytes(hex))).toMatch(/^is a point of small order/);
    expect(publicKeyProblem(hexToBytes(hex))).toMatch(/^is a point of small order/);
  });

  it.each(NON_CANONICAL_SMALL_ORDER)('%s is refused as not canonically encoded', (_name, hex) => {
    expect(publicKeyProblem(hexToBytes(hex))).toMatch(/^is not canonically encoded/);
  });

  it('the identity key with R = identity and S = 0 "verifies" any message in node:crypto and tweetnacl, and never in ours', () => {
    const identity = hexToBytes(CANONICAL_SMALL_ORDER[0][1]);
    const forged = forgedSignature(identity);
    // The attack as found: both libraries take it.
    expect(rawNodeVerify(identity, MESSAGE, forged)).toBe(true);
    expect(nacl.sign.detached.verify(MESSAGE, forged, identity)).toBe(true);

    for (const backend of BACKENDS) {
      expect(verifySignature(identity, MESSAGE, forged, backend), backend).toBe(false);
      expect(verifyInDomain(identity, SIGNATURE_DOMAINS.journalEntry, MESSAGE, forged, backend), backend).toBe(false);
    }
  });

  it('every small-order key, in every encoding, with every small-order R and S = 0, fails on both backends and off-thread', async () => {
    const keys = [...CANONICAL_SMALL_ORDER, ...NON_CANONICAL_SMALL_ORDER].map(([, hex]) => hexToBytes(hex));
    for (const key of keys) {
      for (const r of SMALL_ORDER_ENCODINGS) {
        const forged = forgedSignature(r);
        for (const backend of BACKENDS) {
          expect(verifySignature(key, MESSAGE, forged, backend), `${bytesToHex(key)} / R ${bytesToHex(r)} / ${backend}`).toBe(false);
        }
        expect(await verifyInDomainAsync(key, SIGNATURE_DOMAINS.journalEntry, MESSAGE, forged)).toBe(false);
      }
    }
  });

  it('the key check stands on its own: under the identity key, R = B and S = 1 is a forgery with an ordinary R, and is refused', () => {
    const identity = hexToBytes(CANONICAL_SMALL_ORDER[0][1]);
    const basePoint = hexToBytes('5866666666666666666666666666666666666666666666666666666666666666');
    const forged = Uint8Array.of(...basePoint, 1, ...new Uint8Array(31));
    expect(isSmallOrderEncoding(basePoint)).toBe(false);
    expect(nacl.sign.detached.verify(MESSAGE, forged, identity)).toBe(true);
    for (const backend of BACKENDS) expect(verifySignature(identity, MESSAGE, forged, backend)).toBe(false);
  });
});

describe('the small-order encodings the R check compares against', () => {
  it('are exactly the eight canonical encodings and the six non-canonical ones (the set libsodium blocks, sign bit included)', () => {
    const derived = SMALL_ORDER_ENCODINGS.map(bytesToHex).sort();
    const published = [...CANONICAL_SMALL_ORDER, ...NON_CANONICAL_SMALL_ORDER].map(([, hex]) => hex).sort();
    expect(derived).toEqual(published);
  });

  it('are recognised as R, and an honest signature’s R is not', () => {
    for (const encoding of SMALL_ORDER_ENCODINGS) expect(isSmallOrderEncoding(encoding)).toBe(true);
    const honest = createSigner(seedFrom('honest R'), 'node').sign(MESSAGE);
    expect(isSmallOrderEncoding(honest.subarray(0, 32))).toBe(false);
  });
});

describe('non-canonical and off-curve encodings of other values', () => {
  it('every y from p to 2^255 - 1, with either sign bit, is refused as not canonically encoded', () => {
    for (let y = P; y < 2n ** 255n; y++) {
      for (const sign of [0n, 1n] as const) {
        expect(publicKeyProblem(encode(y, sign)), `y = p + ${y - P}, sign ${sign}`).toBe('is not canonically encoded (its y coordinate is not below p)');
      }
    }
  });

  it('a y with no x on the curve is refused as not a point on the curve, and keys of the wrong size as such', () => {
    expect(publicKeyProblem(encode(2n, 0n))).toBe('is not a point on the curve');
    expect(publicKeyProblem(new Uint8Array(31))).toBe('is not 32 bytes');
  });

  it('an ordinary point written with y + p (it fits for y < 19) is refused although it names a usable key', () => {
    expect(publicKeyProblem(encode(3n, 0n))).toBeNull();
    expect(publicKeyProblem(encode(3n + P, 0n))).toMatch(/^is not canonically encoded/);
  });
});

describe('keys that must keep working', () => {
  it('RFC 8032 TEST 1 key and signature still verify on both backends', () => {
    const key = hexToBytes('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const signature = hexToBytes(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(publicKeyProblem(key)).toBeNull();
    for (const backend of BACKENDS) expect(verifySignature(key, new Uint8Array(0), signature, backend)).toBe(true);
  });

  it('a key made from any seed is usable (a device never makes a key the office refuses) and its signatures verify everywhere', async () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        expect(inspectPublicKey(publicKeyFromSeed(seed))).toBeNull();
      }),
      { numRuns: 200, seed: 25519 },
    );
    const signer = createSigner(seedFrom('session key'), 'node');
    const signature = signInDomain(signer, SIGNATURE_DOMAINS.journalEntry, MESSAGE);
    expect(await verifyInDomainAsync(signer.publicKey, SIGNATURE_DOMAINS.journalEntry, MESSAGE, signature)).toBe(true);
    for (const backend of BACKENDS) expect(verifyInDomain(signer.publicKey, SIGNATURE_DOMAINS.journalEntry, MESSAGE, signature, backend)).toBe(true);
  });
});
