import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';
import { inspectPublicKey, isSmallOrderEncoding } from './ed25519-point.js';

/**
 * One signer interface over two Ed25519 implementations. RFC 8032 signatures are deterministic, so
 * tweetnacl and node:crypto produce byte-identical signatures for the same key and message; we use
 * tweetnacl where its speed is enough (device key: certificates, checkpoints) and node:crypto on hot
 * paths (every journal entry on the device, every verification on the office server).
 */
export type SignerBackend = 'tweetnacl' | 'node';

export interface Signer {
  readonly publicKey: Uint8Array;
  readonly backend: SignerBackend;
  sign(message: Uint8Array): Uint8Array;
  /** Zeroes the secret this signer holds; any later sign() throws. */
  destroy(): void;
  readonly destroyed: boolean;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Group order L of Ed25519, little-endian, used to reject malleable (non-canonical) signatures. */
const GROUP_ORDER_LE = Uint8Array.from(
  Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex'),
);

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return nacl.sign.keyPair.fromSeed(seed).publicKey;
}

export function createSigner(seed: Uint8Array, backend: SignerBackend): Signer {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  return backend === 'node' ? new NodeSigner(seed) : new TweetnaclSigner(seed);
}

class TweetnaclSigner implements Signer {
  readonly backend = 'tweetnacl' as const;
  readonly publicKey: Uint8Array;
  #secretKey: Uint8Array | null;

  constructor(seed: Uint8Array) {
    const pair = nacl.sign.keyPair.fromSeed(seed);
    this.publicKey = pair.publicKey;
    this.#secretKey = pair.secretKey;
  }

  get destroyed(): boolean {
    return this.#secretKey === null;
  }

  sign(message: Uint8Array): Uint8Array {
    if (!this.#secretKey) throw new Error('signer was destroyed');
    return nacl.sign.detached(message, this.#secretKey);
  }

  destroy(): void {
    this.#secretKey?.fill(0);
    this.#secretKey = null;
  }
}

class NodeSigner implements Signer {
  readonly backend = 'node' as const;
  readonly publicKey: Uint8Array;
  #key: KeyObject | null;

  constructor(seed: Uint8Array) {
    const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
    this.#key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    this.publicKey = publicKeyFromSeed(seed);
  }

  get destroyed(): boolean {
    return this.#key === null;
  }

  sign(message: Uint8Array): Uint8Array {
    if (!this.#key) throw new Error('signer was destroyed');
    return new Uint8Array(nodeSign(null, message, this.#key));
  }

  destroy(): void {
    // OpenSSL clears the private key when the KeyObject is freed; dropping the only reference is
    // what JavaScript allows. Re-creating the key per signature would cost 10x (measured).
    this.#key = null;
  }
}

/** True when S < L; tweetnacl alone would accept S + L, which lets anyone mint a second valid signature. */
export function isCanonicalSignature(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    const l = GROUP_ORDER_LE[i]!;
    if (s < l) return true;
    if (s > l) return false;
  }
  return false;
}

/** What is known of a public key seen before: a session key verifies every entry of its session. */
interface KnownKey {
  /** Why the key is refused (see inspectPublicKey), or null. */
  problem: string | null;
  /** node:crypto's form of the key, made on its first node verification. */
  node: KeyObject | null;
}

const knownKeys = new Map<string, KnownKey>();

function knownKey(publicKey: Uint8Array): KnownKey {
  const id = Buffer.from(publicKey).toString('hex');
  let known = knownKeys.get(id);
  if (!known) {
    known = { problem: inspectPublicKey(publicKey), node: null };
    if (knownKeys.size >= 10_000) knownKeys.clear();
    knownKeys.set(id, known);
  }
  return known;
}

/**
 * Why this key must not be trusted (small order, not canonically encoded, not on the curve, not 32
 * bytes), phrased to follow "the key", or null for a usable key. Remembered per key.
 */
export function publicKeyProblem(publicKey: Uint8Array): string | null {
  return publicKey.length === 32 ? knownKey(publicKey).problem : inspectPublicKey(publicKey);
}

/**
 * The key's facts when this key and signature may be checked at all. Both backends would accept a
 * small-order key, and with it a signature whose R has small order; such a signature is refused
 * here on sight, and such a key by its cached inspection, so neither check stands alone.
 */
function checkableKey(publicKey: Uint8Array, signature: Uint8Array): KnownKey | null {
  if (publicKey.length !== 32 || !isCanonicalSignature(signature) || isSmallOrderEncoding(signature.subarray(0, 32))) return null;
  const known = knownKey(publicKey);
  return known.problem === null ? known : null;
}

function nodePublicKey(known: KnownKey, publicKey: Uint8Array): KeyObject {
  known.node ??= createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return known.node;
}

export function verifySignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  backend: SignerBackend = 'node',
): boolean {
  const known = checkableKey(publicKey, signature);
  if (!known) return false;
  if (backend === 'tweetnacl') return nacl.sign.detached.verify(message, signature, publicKey);
  try {
    return nodeVerify(null, message, nodePublicKey(known, publicKey), signature);
  } catch {
    return false;
  }
}

/** Domain separation: a signature made for one purpose can never be replayed as another. */
export const SIGNATURE_DOMAINS = {
  journalEntry: 'waypost/v1/journal-entry',
  sessionCertificate: 'waypost/v1/session-certificate',
  checkpoint: 'waypost/v1/checkpoint',
  anchorReceipt: 'waypost/v1/anchor-receipt',
  enrollment: 'waypost/v1/enrollment',
  repairCertification: 'waypost/v1/repair-certification',
} as const;
export type SignatureDomain = (typeof SIGNATURE_DOMAINS)[keyof typeof SIGNATURE_DOMAINS];

export function domainMessage(domain: string, payload: Uint8Array): Uint8Array {
  const tag = new TextEncoder().encode(domain);
  const message = new Uint8Array(tag.length + 1 + payload.length);
  message.set(tag, 0);
  message[tag.length] = 0;
  message.set(payload, tag.length + 1);
  return message;
}

export function signInDomain(signer: Signer, domain: SignatureDomain, payload: Uint8Array): Uint8Array {
  return signer.sign(domainMessage(domain, payload));
}

export function verifyInDomain(
  publicKey: Uint8Array,
  domain: SignatureDomain,
  payload: Uint8Array,
  signature: Uint8Array,
  backend: SignerBackend = 'node',
): boolean {
  return verifySignature(publicKey, domainMessage(domain, payload), signature, backend);
}

/**
 * verifyInDomain with node:crypto on libuv's thread pool: a server checking many signatures keeps
 * its own thread for other work meanwhile. Same rules (usable key, canonical S, R not of small order).
 */
export function verifyInDomainAsync(publicKey: Uint8Array, domain: SignatureDomain, payload: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const known = checkableKey(publicKey, signature);
  if (!known) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      nodeVerify(null, domainMessage(domain, payload), nodePublicKey(known, publicKey), signature, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}
