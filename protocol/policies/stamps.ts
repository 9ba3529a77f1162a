import { z } from 'zod';
import { PolicyInputError, type Author, type ChangeStamp } from './types.js';

/**
 * Stamps say who changed something and when; these helpers read them the same way in every
 * policy, so "concurrent" and "who wrote this" mean one thing across the folder.
 */

export const authorSchema: z.ZodType<Author> = z.object({
  operatorId: z.string(),
  deviceId: z.string().nullable(),
  seq: z.number().int().nullable(),
});

export const changeStampSchema = z.object({
  version: z.number().int().positive(),
  effectiveTime: z.number().finite(),
  receivedAt: z.number().finite(),
  origin: z.enum(['office', 'field']),
  author: authorSchema,
});

/** The stamp a write leaves on what it changes; refuses times and versions that would break ordering. */
export function stampOf(write: ChangeStamp): ChangeStamp {
  if (!Number.isFinite(write.effectiveTime) || !Number.isFinite(write.receivedAt)) {
    throw new PolicyInputError(`a write needs finite times (effectiveTime ${write.effectiveTime}, receivedAt ${write.receivedAt})`);
  }
  if (!Number.isSafeInteger(write.version) || write.version < 1) {
    throw new PolicyInputError(`a write needs a positive integer record version, not ${write.version}`);
  }
  const { version, effectiveTime, receivedAt, origin, author } = write;
  return { version, effectiveTime, receivedAt, origin, author };
}

/**
 * Whether `change` (a field's, member's or key's last change) happened without the writer having
 * seen it. The writer has seen a change when its base version already included it, when it came
 * from an earlier entry of the writer's own device (a device applies its own entries in order,
 * even before the server acknowledged them), or when it is an earlier operation of the same entry.
 */
export function isConcurrent(
  change: Pick<ChangeStamp, 'version' | 'author'> | null,
  write: { baseVersion: number | null; version: number; author: Author },
): boolean {
  if (!change) return false;
  if (write.baseVersion !== null && change.version <= write.baseVersion) return false;
  if (change.version === write.version) return false;
  return !isOwnEarlierEntry(change.author, write.author);
}

function isOwnEarlierEntry(change: Author, write: Author): boolean {
  return (
    change.deviceId !== null &&
    change.deviceId === write.deviceId &&
    change.seq !== null &&
    write.seq !== null &&
    change.seq < write.seq
  );
}

/** "operator op-ines on device cab-7 at 2026-11-22T08:00:00.000Z", for reasons people read. */
export function describeChange(change: Pick<ChangeStamp, 'author' | 'effectiveTime'>): string {
  return `${describeAuthor(change.author)} at ${new Date(change.effectiveTime).toISOString()}`;
}

export function describeAuthor({ operatorId, deviceId }: Author): string {
  return `operator ${operatorId} ${deviceId === null ? 'in the office' : `on device ${deviceId}`}`;
}

/** Orders text by UTF-16 code units, the same on every machine and locale (canonical JSON sorts keys so too). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders authors so that ties between writes always break the same way; office (no device) first. */
export function compareAuthors(a: Author, b: Author): number {
  return (
    compareNullable(a.deviceId, b.deviceId, compareText) ||
    compareNullable(a.seq, b.seq, (x, y) => x - y) ||
    compareText(a.operatorId, b.operatorId)
  );
}

function compareNullable<T>(a: T | null, b: T | null, compare: (a: T, b: T) => number): number {
  if (a === null || b === null) return (a === null ? 0 : 1) - (b === null ? 0 : 1);
  return compare(a, b);
}
