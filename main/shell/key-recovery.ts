import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Everything the sealed keys unlock, under the app's data folder: the keys, the encrypted database and its attachments. */
export const SEALED_DEVICE_FILES = ['device-keys.sealed', 'device.db', 'device.db-wal', 'device.db-shm', 'attachments'] as const;

/** Where set-aside data goes, under the app's data folder. */
export const SET_ASIDE_FOLDER = 'set-aside';

/**
 * When the sealed keys cannot be opened, the device's data cannot be read by this user: the app
 * stops and says so. What it may offer instead of starting over silently: move every file the keys
 * unlock, untouched, into a dated folder beside them (nothing is deleted or rewritten; a rename on
 * the same disk), with a note saying what happened and how the data can still be read: by the
 * Windows user who set the device up, on this machine. The app then starts empty, to be enrolled
 * again; whatever the old files held that never reached the office is still in them.
 */
export function setAsideUnreadableData(dataDir: string, at: Date): { folder: string; moved: string[] } {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  let folder = join(dataDir, SET_ASIDE_FOLDER, stamp);
  for (let n = 2; existsSync(folder) && n < 100; n++) folder = join(dataDir, SET_ASIDE_FOLDER, `${stamp}-${n}`);
  if (existsSync(folder)) throw new Error(`cannot choose a new folder under ${join(dataDir, SET_ASIDE_FOLDER)} to set the data aside in`);
  mkdirSync(folder, { recursive: true });
  const moved: string[] = [];
  for (const name of SEALED_DEVICE_FILES) {
    const from = join(dataDir, name);
    if (!existsSync(from)) continue;
    renameSync(from, join(folder, name));
    moved.push(name);
  }
  writeFileSync(join(folder, 'READ ME.txt'), readMe(at, moved), { flag: 'wx' });
  return { folder, moved };
}

function readMe(at: Date, moved: readonly string[]): string {
  return [
    `Waypost set these files aside on ${at.toISOString()} because the keys sealed in device-keys.sealed could not be opened`,
    'by the Windows user running it (the device was set up by another user, or its disk was restored elsewhere).',
    '',
    'Nothing in them was changed or deleted. The database and attachments are encrypted with those keys, so they can',
    'still be read by the Windows user who set the device up, on the machine where it was set up: move these files back',
    'into the Waypost data folder there, as that user, and start Waypost. Entries in them that never reached the office',
    'will then be sent. Ask your administrator before deleting this folder.',
    '',
    `Files: ${moved.join(', ') || '(none)'}`,
    '',
  ].join('\r\n');
}

/** What the shell tells an operator whose device keys cannot be opened, and whether it may offer to set the data aside. */
export function unlockFailureNotice(error: Error, dataDir: string): { title: string; message: string; detail: string; canSetAside: boolean } {
  if (error.name === 'SealedKeysUnreadableError') {
    return {
      title: 'Waypost cannot unlock its data',
      message: 'This Windows user cannot open the keys that protect this device’s data.',
      detail: [
        error.message,
        '',
        'Nothing has been changed. If the device was set up under another Windows user, sign in as that user instead.',
        `Otherwise you can set the data aside (it is moved, untouched, to ${join(dataDir, SET_ASIDE_FOLDER)}) and enroll this device again with a token from your administrator.`,
      ].join('\n'),
      canSetAside: true,
    };
  }
  return { title: 'Waypost cannot protect its data', message: 'This computer offers no secure place for the device keys.', detail: error.message, canSetAside: false };
}
