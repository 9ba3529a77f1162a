import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEALED_DEVICE_FILES, SET_ASIDE_FOLDER, setAsideUnreadableData, unlockFailureNotice } from '../../main/shell/key-recovery.js';
import { KeystoreUnavailableError, SealedKeysUnreadableError } from '../../main/shell/safe-storage-keystore.js';
import { tempDir } from '../support/device.js';

/** A data folder as a device leaves it: sealed keys, the encrypted database with its WAL, attachments, and files that are not the keys' business. */
function deviceFolder(): string {
  const dir = tempDir('waypost-userdata-');
  writeFileSync(join(dir, 'device-keys.sealed'), 'sealed by another user');
  writeFileSync(join(dir, 'device.db'), 'encrypted pages');
  writeFileSync(join(dir, 'device.db-wal'), 'unsynced work, still in the log');
  mkdirSync(join(dir, 'attachments'));
  writeFileSync(join(dir, 'attachments', 'ab12.photo'), 'encrypted photo');
  writeFileSync(join(dir, 'Preferences'), 'window size');
  return dir;
}

describe('when the sealed device keys cannot be opened', () => {
  it('offers to set the data aside only where the keys exist but cannot be read, never where the OS has no keystore', () => {
    const unreadable = unlockFailureNotice(new SealedKeysUnreadableError('the sealed device keys in C:\\\\Users\\\\ana\\\\device-keys.sealed cannot be opened', 'x'), 'C:\\Users\\bo\\Waypost');
    expect(unreadable).toMatchObject({ canSetAside: true, title: 'Waypost cannot unlock its data' });
    expect(unreadable.detail).toMatch(/Nothing has been changed/);
    expect(unreadable.detail).toContain(SET_ASIDE_FOLDER);
    expect(unlockFailureNotice(new KeystoreUnavailableError('no desktop keyring'), '/data')).toMatchObject({ canSetAside: false, detail: 'no desktop keyring' });
  });

  it('moves every file the keys unlock, byte for byte, into a dated folder with a note, deleting nothing, and a second time into another', () => {
    const dir = deviceFolder();
    const before = Object.fromEntries(['device-keys.sealed', 'device.db', 'device.db-wal'].map((name) => [name, readFileSync(join(dir, name), 'utf8')]));

    const first = setAsideUnreadableData(dir, new Date(Date.UTC(2026, 11, 2, 6, 30)));

    expect(first.moved).toEqual(['device-keys.sealed', 'device.db', 'device.db-wal', 'attachments']);
    for (const name of SEALED_DEVICE_FILES) expect(existsSync(join(dir, name))).toBe(false);
    for (const [name, content] of Object.entries(before)) expect(readFileSync(join(first.folder, name), 'utf8')).toBe(content);
    expect(readFileSync(join(first.folder, 'attachments', 'ab12.photo'), 'utf8')).toBe('encrypted photo');
    expect(readFileSync(join(dir, 'Preferences'), 'utf8')).toBe('window size');
    expect(readFileSync(join(first.folder, 'READ ME.txt'), 'utf8')).toMatch(/Nothing in them was changed or deleted[\s\S]*device-keys\.sealed, device\.db, device\.db-wal, attachments/);

    // Tried: the device set up again, and its new keys unreadable too within the same second.
    writeFileSync(join(dir, 'device-keys.sealed'), 'sealed again');
    const second = setAsideUnreadableData(dir, new Date(Date.UTC(2026, 11, 2, 6, 30)));
    expect(second.folder).not.toBe(first.folder);
    expect(second.moved).toEqual(['device-keys.sealed']);
    expect(readdirSync(join(dir, SET_ASIDE_FOLDER))).toHaveLength(2);
    expect(readFileSync(join(first.folder, 'device-keys.sealed'), 'utf8')).toBe('sealed by another user');
  });
});
