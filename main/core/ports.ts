export { type Clock, type Randomness, randomId, systemClock, systemRandomness } from '../../protocol/runtime.js';

/**
 * Holds the device's long-lived secrets. The Electron shell seals them with the OS keystore
 * (safeStorage); tests and the dev host use the stores in keystore-dev.ts.
 */
export interface KeyStore {
  /** The device identity key seed (Ed25519), created on first use. */
  deviceSeed(): Uint8Array;
  /** The 32-byte key the device database and attachments are encrypted with, created on first use. */
  databaseKey(): Uint8Array;
  /**
   * 32 bytes the device keys its stored PIN verifiers with (protocol/pin.ts), created on first use:
   * without them a copy of the database cannot test PIN guesses.
   */
  pinPepper(): Uint8Array;
}
