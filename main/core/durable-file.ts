import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a new file so that after a power loss it is either absent or complete: the bytes go to
 * `temporaryPath`, are flushed, the file is renamed into place and the directory flushed. The
 * temporary file is removed when anything fails.
 */
export function writeFileDurably(path: string, data: Uint8Array, temporaryPath = `${path}.tmp`): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    const fd = openSync(temporaryPath, 'w', 0o600);
    try {
      for (let written = 0; written < data.length; ) written += writeSync(fd, data, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporaryPath, path);
  } catch (error) {
    rmSync(temporaryPath, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}

/**
 * Makes a rename durable: on POSIX the directory entry is only on disk once the directory is
 * flushed. Windows cannot open a directory for flushing; NTFS journals the rename itself.
 */
function syncDirectory(directory: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
