import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyStore, Randomness } from './ports.js';

/** Keys in memory only: tests and simulations. */
export class MemoryKeyStore implements KeyStore {
  readonly #keys = new Map<string, Uint8Array>();
  constructor(private readonly random: Randomness) {}

  deviceSeed(): Uint8Array {
    return this.#get('deviceSeed');
  }

  databaseKey(): Uint8Array {
    return this.#get('databaseKey');
  }

  pinPepper(): Uint8Array {
    return this.#get('pinPepper');
  }

  #get(name: string): Uint8Array {
    let key = this.#keys.get(name);
    if (!key) this.#keys.set(name, (key = this.random.bytes(32)));
    return key;
  }
}

/**
 * Keys in a plain file readable by the owner only. For development and the dev host ONLY: anyone
 * who can read the file can decrypt the database and sign as the device. Packaged builds use the
 * shell's OS-keystore store instead.
 */
export class InsecureDevFileKeyStore implements KeyStore {
  constructor(
    private readonly path: string,
    private readonly random: Randomness,
  ) {}

  deviceSeed(): Uint8Array {
    return this.#get('deviceSeed');
  }

  databaseKey(): Uint8Array {
    return this.#get('databaseKey');
  }

  pinPepper(): Uint8Array {
    return this.#get('pinPepper');
  }

  #get(name: 'deviceSeed' | 'databaseKey' | 'pinPepper'): Uint8Array {
    const keys = existsSync(this.path) ? (JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>) : {};
    if (!keys[name]) {
      keys[name] = Buffer.from(this.random.bytes(32)).toString('hex');
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(this.path, JSON.stringify(keys, null, 2), { mode: 0o600 });
      chmodSync(this.path, 0o600);
    }
    return Uint8Array.from(Buffer.from(keys[name], 'hex'));
  }
}
