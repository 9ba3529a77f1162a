import { PULL_CURSOR_PATTERN } from '../../protocol/wire/pull.js';
import { ApiFailure } from '../errors.js';

/**
 * Pull cursors are opaque to devices: the position in the change feed, versioned so the encoding
 * can change without breaking stored cursors.
 */
const PREFIX = 'v1.';

export function encodeCursor(changeId: number): string {
  return Buffer.from(`${PREFIX}${changeId}`).toString('base64url');
}

/** The change id after which to read; 0 for a first pull. A cursor we did not issue is a 400. */
export function decodeCursor(cursor: string | null | undefined): number {
  if (cursor === null || cursor === undefined) return 0;
  const text = PULL_CURSOR_PATTERN.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^v1\.(0|[1-9]\d{0,15})$/.exec(text);
  const id = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(id)) throw new ApiFailure(400, 'invalid-cursor', 'the cursor is not one this server issued; pull again without a cursor');
  return id;
}
