import { randomBytes } from 'node:crypto';

/**
 * What the core takes from outside, so that tests and the sync simulation can run it with a fake
 * clock, seeded randomness and in-memory keys.
 */
export interface Clock {
  now(): number;
}

export interface Randomness {
  bytes(length: number): Uint8Array;
}

/**
 * Holds the device's long-lived secrets. The Electron shell seals them with the OS keystore
 * (safeStorage); tests and the dev host use the stores in keystore-dev.ts.
 */
export interface KeyStore {
  /** The device identity key seed (Ed25519), created on first use. */
  deviceSeed(): Uint8Array;
  /** The 32-byte key the device database and attachments are encrypted with, created on first use. */
  databaseKey(): Uint8Array;
}

export const systemClock: Clock = { now: () => Date.now() };
export const systemRandomness: Randomness = { bytes: (length) => new Uint8Array(randomBytes(length)) };

export function randomId(random: Randomness, prefix: string): string {
  return `${prefix}-${Buffer.from(random.bytes(12)).toString('hex')}`;
}
