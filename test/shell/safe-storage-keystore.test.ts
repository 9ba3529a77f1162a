import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceCore } from '../../main/core/device-core.js';
import { SafeStorageKeyStore, SealedKeysUnreadableError, type SecretSealer } from '../../main/shell/safe-storage-keystore.js';
import { SeededRandomness, tempDir } from '../support/device.js';

/**
 * The shell's key store, with Electron's safeStorage replaced by a stand-in that seals with
 * AES-GCM under a key of its own (as DPAPI seals under the Windows user's key).
 */
class FakeSealer implements SecretSealer {
  readonly #key = randomBytes(32);
  constructor(
    private readonly available = true,
    private readonly backend: ReturnType<SecretSealer['getSelectedStorageBackend']> = 'gnome_libsecret',
  ) {}
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  getSelectedStorageBackend() {
    return this.backend;
  }
  encryptString(plainText: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }
  decryptString(encrypted: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.#key, encrypted.subarray(0, 12));
    decipher.setAuthTag(encrypted.subarray(12, 28));
    return Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
  }
}

function keysFile(): string {
  return join(tempDir(), 'device-keys.sealed');
}

describe('SafeStorageKeyStore', () => {
  it('creates the secrets once, seals them, and gives the same ones back after a restart', () => {
    const path = keysFile();
    const sealer = new FakeSealer();
    const first = new SafeStorageKeyStore(path, sealer, new SeededRandomness('keys'));
    const seed = first.deviceSeed();
    const key = first.databaseKey();
    const pepper = first.pinPepper();
    expect([seed, key, pepper].map((secret) => secret.length)).toEqual([32, 32, 32]);
    expect(new Set([seed, key, pepper].map((secret) => Buffer.from(secret).toString('hex'))).size).toBe(3);

    const afterRestart = new SafeStorageKeyStore(path, sealer, new SeededRandomness('other'));
    expect(afterRestart.deviceSeed()).toEqual(seed);
    expect(afterRestart.databaseKey()).toEqual(key);
    expect(afterRestart.pinPepper()).toEqual(pepper);

    const onDisk = readFileSync(path);
    for (const secret of [seed, key, pepper]) {
      expect(onDisk.includes(Buffer.from(secret))).toBe(false);
      expect(onDisk.includes(Buffer.from(Buffer.from(secret).toString('hex')))).toBe(false);
    }
  });

  it('adds a PIN pepper to a file sealed before there was one, keeping the other keys, and keeps that pepper', () => {
    const path = keysFile();
    const sealer = new FakeSealer();
    const [seed, key] = ['11', '22'].map((byte) => byte.repeat(32));
    writeFileSync(path, sealer.encryptString(JSON.stringify({ format: 'waypost-device-secrets-v1', deviceSeed: seed, databaseKey: key })));

    const store = new SafeStorageKeyStore(path, sealer, new SeededRandomness('keys'));
    const pepper = store.pinPepper();
    expect(pepper).toHaveLength(32);
    expect([store.deviceSeed(), store.databaseKey()].map((secret) => Buffer.from(secret).toString('hex'))).toEqual([seed, key]);
    const afterRestart = new SafeStorageKeyStore(path, sealer, new SeededRandomness('other'));
    expect(afterRestart.pinPepper()).toEqual(pepper);
    expect(Buffer.from(afterRestart.deviceSeed()).toString('hex')).toBe(seed);
  });

  it('lets the device core reopen its encrypted database with the sealed keys', () => {
    const dir = tempDir();
    const sealer = new FakeSealer();
    const open = () => DeviceCore.open({ path: join(dir, 'device.db'), keyStore: new SafeStorageKeyStore(join(dir, 'keys.sealed'), sealer, new SeededRandomness('k')) });
    const core = open();
    const deviceId = core.deviceId;
    core.close();
    const reopened = open();
    expect(reopened.deviceId).toBe(deviceId);
    reopened.close();
  });

  it('refuses to create keys when the OS keystore cannot protect them, and writes nothing', () => {
    for (const [sealer, reason] of [
      [new FakeSealer(false), /OS keystore is not available/],
      [new FakeSealer(true, 'basic_text'), /no desktop keyring/],
    ] as const) {
      const path = keysFile();
      const store = new SafeStorageKeyStore(path, sealer, new SeededRandomness('keys'), 'linux');
      expect(() => store.databaseKey()).toThrow(reason);
      expect(existsSync(path)).toBe(false);
    }
  });

  it('says clearly when the sealed file belongs to another user or is damaged, and leaves it as it was', () => {
    const path = keysFile();
    new SafeStorageKeyStore(path, new FakeSealer(), new SeededRandomness('keys')).deviceSeed();
    const sealed = readFileSync(path);
    expect(() => new SafeStorageKeyStore(path, new FakeSealer(), new SeededRandomness('keys')).deviceSeed()).toThrow(/cannot be opened by this user's OS keystore/);
    expect(() => new SafeStorageKeyStore(path, new FakeSealer(), new SeededRandomness('keys')).deviceSeed()).toThrow(SealedKeysUnreadableError);
    expect(readFileSync(path)).toEqual(sealed);

    const sealer = new FakeSealer();
    writeFileSync(path, sealer.encryptString(JSON.stringify({ format: 'something-else', deviceSeed: 'ab' })));
    expect(() => new SafeStorageKeyStore(path, sealer, new SeededRandomness('keys')).deviceSeed()).toThrow(/not in a format this version knows/);
  });
});
