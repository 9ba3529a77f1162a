import { existsSync, readFileSync } from 'node:fs';
import type { SafeStorage } from 'electron';
import { writeFileDurably } from '../core/durable-file.js';
import type { KeyStore, Randomness } from '../core/ports.js';

/** The part of Electron's safeStorage this store uses (injected, so it is testable without Electron). */
export type SecretSealer = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

interface DeviceSecrets {
  deviceSeed: Uint8Array;
  databaseKey: Uint8Array;
  pinPepper: Uint8Array;
}

const FORMAT = 'waypost-device-secrets-v1';

/** The OS offers no keystore that protects anything: no keys are made, nothing is written. */
export class KeystoreUnavailableError extends Error {
  override readonly name = 'KeystoreUnavailableError';
}

/**
 * The sealed keys exist but this user's keystore cannot open them (another Windows user, a disk
 * restored on another machine) or they are damaged: the database they unlock cannot be read.
 */
export class SealedKeysUnreadableError extends Error {
  override readonly name = 'SealedKeysUnreadableError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * The device's long-lived secrets (identity key seed, database key, PIN pepper), sealed by the OS
 * keystore (DPAPI on Windows, Keychain on macOS, libsecret/kwallet on Linux) in one file under
 * userData. They are made together on first use and written durably before any is handed out: the
 * database is encrypted with one of them, so losing the file means losing the data. A file from
 * before the PIN pepper existed gets one added, sealed and written the same way.
 */
export class SafeStorageKeyStore implements KeyStore {
  #secrets: DeviceSecrets | null = null;

  constructor(
    private readonly path: string,
    private readonly sealer: SecretSealer,
    private readonly random: Randomness,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  deviceSeed(): Uint8Array {
    return this.#load().deviceSeed;
  }

  databaseKey(): Uint8Array {
    return this.#load().databaseKey;
  }

  pinPepper(): Uint8Array {
    return this.#load().pinPepper;
  }

  #load(): DeviceSecrets {
    if (this.#secrets) return this.#secrets;
    this.#requireRealSealing();
    this.#secrets = existsSync(this.path) ? this.#unseal() : this.#create();
    return this.#secrets;
  }

  #requireRealSealing(): void {
    if (!this.sealer.isEncryptionAvailable()) {
      throw new KeystoreUnavailableError('the OS keystore is not available, so the device keys cannot be protected; Waypost will not store them in the clear');
    }
    // On Linux without a keyring, Electron falls back to a hard-coded key: that is no protection.
    if (this.platform === 'linux' && this.sealer.getSelectedStorageBackend() === 'basic_text') {
      throw new KeystoreUnavailableError('no desktop keyring (libsecret or kwallet) is running, so the device keys cannot be protected');
    }
  }

  #unseal(): DeviceSecrets {
    let parsed: { format?: unknown; deviceSeed?: unknown; databaseKey?: unknown; pinPepper?: unknown };
    try {
      parsed = JSON.parse(this.sealer.decryptString(readFileSync(this.path))) as typeof parsed;
    } catch (error) {
      throw new SealedKeysUnreadableError(`the sealed device keys in ${this.path} cannot be opened by this user's OS keystore (${(error as Error).message})`, this.path);
    }
    const deviceSeed = hexKey(parsed.deviceSeed);
    const databaseKey = hexKey(parsed.databaseKey);
    if (parsed.format !== FORMAT || !deviceSeed || !databaseKey || (parsed.pinPepper !== undefined && !hexKey(parsed.pinPepper))) {
      throw new SealedKeysUnreadableError(`the sealed device keys in ${this.path} are not in a format this version knows`, this.path);
    }
    const pinPepper = hexKey(parsed.pinPepper);
    return pinPepper ? { deviceSeed, databaseKey, pinPepper } : this.#seal({ deviceSeed, databaseKey, pinPepper: this.random.bytes(32) });
  }

  #create(): DeviceSecrets {
    return this.#seal({ deviceSeed: this.random.bytes(32), databaseKey: this.random.bytes(32), pinPepper: this.random.bytes(32) });
  }

  #seal(secrets: DeviceSecrets): DeviceSecrets {
    const sealed = this.sealer.encryptString(
      JSON.stringify({
        format: FORMAT,
        deviceSeed: toHex(secrets.deviceSeed),
        databaseKey: toHex(secrets.databaseKey),
        pinPepper: toHex(secrets.pinPepper),
      }),
    );
    writeFileDurably(this.path, sealed);
    return secrets;
  }
}

function hexKey(value: unknown): Uint8Array | null {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? Uint8Array.from(Buffer.from(value, 'hex')) : null;
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
