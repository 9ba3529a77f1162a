import type { ActionErrorCode } from '../../protocol/index.js';

export type CoreErrorCode =
  | ActionErrorCode
  | 'invalid-input'
  | 'not-signed-in'
  | 'wrong-pin'
  | 'operator-locked-out'
  | 'invalid-correction'
  | 'storage-full'
  | 'storage-failed'
  | 'unknown-attachment'
  | 'attachment-too-large'
  | 'attachment-damaged'
  /** The record is not one a signed receipt can be printed of (not submitted, or its signed history left the device). */
  | 'receipt-unavailable'
  /** The device cannot sync: it is not enrolled, or does not know its office. */
  | 'sync-unavailable'
  /** The signed-in operator's role does not allow it (only a supervisor closes a gate kiosk). */
  | 'not-allowed';

/** An error the user can be told about; the action it interrupted wrote nothing. */
export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

/** Turns SQLite's failures into errors that say what happened to the user's action. */
export function storageError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_FULL') return new CoreError('storage-full', 'the disk is full: the action was not saved, nothing was lost');
  if (code === 'SQLITE_IOERR' || code?.startsWith('SQLITE_IOERR_')) {
    return new CoreError('storage-failed', `the device storage failed (${code}): the action was not saved`);
  }
  return error;
}
