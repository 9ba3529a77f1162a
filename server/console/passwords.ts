import { scrypt, timingSafeEqual } from 'node:crypto';
import type { Randomness } from '../../protocol/runtime.js';
import { type ScryptParams, formatScryptVerifier, parseScryptVerifier } from '../../protocol/crypto/scrypt-verifier.js';

/**
 * Office console passwords: scrypt (memory-hard) with a per-user salt, stored with their
 * parameters so that raising them later leaves old passwords working; a password checked at older
 * parameters is hashed again at the current ones on its next sign-in. scrypt runs on libuv's
 * thread pool: a sign-in never stalls the office's other requests.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Whether `password` matches `verifier`. Without a verifier (no such user, or no console password)
   * the same scrypt work is done against a decoy, so the answer's cost tells nothing.
   */
  verify(password: string, verifier: string | null): Promise<boolean>;
  /** Whether `verifier` was made with other parameters than new ones get. */
  isOutdated(verifier: string): boolean;
}

/** 16 MiB and about a tenth of a second per check on the office's cores. */
export const DEFAULT_PASSWORD_PARAMS: ScryptParams = { N: 16384, r: 8, p: 1 };
const SCHEME = 'scrypt';
const DIGEST_BYTES = 32;
const SALT_BYTES = 16;

export function scryptPasswords(random: Randomness, params: ScryptParams = DEFAULT_PASSWORD_PARAMS): PasswordHasher {
  // No password matches it: its digest is random bytes, not any scrypt output.
  const decoy = formatScryptVerifier({ scheme: SCHEME, params, salt: Buffer.from(random.bytes(SALT_BYTES)), digest: Buffer.from(random.bytes(DIGEST_BYTES)) });
  return {
    async hash(password) {
      const salt = Buffer.from(random.bytes(SALT_BYTES));
      return formatScryptVerifier({ scheme: SCHEME, params, salt, digest: await derive(password, salt, params) });
    },
    async verify(password, verifier) {
      const parsed = parseScryptVerifier(verifier ?? decoy, SCHEME, DIGEST_BYTES) ?? parseScryptVerifier(decoy, SCHEME, DIGEST_BYTES)!;
      const matches = timingSafeEqual(await derive(password, parsed.salt, parsed.params), parsed.digest);
      return matches && verifier !== null;
    },
    isOutdated(verifier) {
      const parsed = parseScryptVerifier(verifier, SCHEME, DIGEST_BYTES);
      return !parsed || parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p;
    },
  };
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, DIGEST_BYTES, { ...params, maxmem: 256 * params.N * params.r }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
