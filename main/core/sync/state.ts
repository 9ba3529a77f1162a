import { z } from 'zod';
import type { DeviceDb } from '../../../db/open.js';
import { readSyncValue, writeSyncValue } from '../../../db/queries/sync.js';
import { hex32, identifier } from '../../../protocol/journal.js';
import { type ClockSample, type OfficeStamps, clockSampleSchema, preferSample } from '../../../protocol/time.js';
import { type AnchorReceipt, anchorReceiptSchema, deviceKindSchema } from '../../../protocol/wire.js';
import { SyncError } from './errors.js';

/**
 * The sync state the device keeps in its encrypted database, read back with the same schemas it
 * was written with: a row that does not parse is treated as missing rather than trusted.
 */
export const storedEnrollmentSchema = z.object({
  deviceId: identifier,
  kind: deviceKindSchema,
  siteId: identifier,
  organisationId: identifier,
  /** The bearer credential: it only ever leaves the device in the Authorization header. */
  credential: z.string().min(16),
  serverPublicKey: hex32,
  enrolledAt: z.number().int(),
});
export type StoredEnrollment = z.infer<typeof storedEnrollmentSchema>;
/** What the app may show about the enrollment. */
export type EnrollmentInfo = Omit<StoredEnrollment, 'credential'>;

export function readEnrollment(db: DeviceDb): StoredEnrollment | null {
  return storedEnrollmentSchema.safeParse(readSyncValue(db, 'enrollment')).data ?? null;
}

export function requireEnrollment(db: DeviceDb): StoredEnrollment {
  const enrollment = readEnrollment(db);
  if (!enrollment) throw new SyncError('not-enrolled', 'this device is not enrolled with an office yet; enroll it with a token from an administrator', false);
  return enrollment;
}

export function publicEnrollment(enrollment: StoredEnrollment): EnrollmentInfo {
  const { credential: _credential, ...info } = enrollment;
  return info;
}

export function readPullCursor(db: DeviceDb): string | null {
  return z.string().safeParse(readSyncValue(db, 'pull.cursor')).data ?? null;
}

export function readAnchor(db: DeviceDb): AnchorReceipt | null {
  return anchorReceiptSchema.safeParse(readSyncValue(db, 'anchor')).data ?? null;
}

export function readLastSuccessAt(db: DeviceDb): number | null {
  return z.number().int().safeParse(readSyncValue(db, 'sync.lastSuccessAt')).data ?? null;
}

/** The exchange with the office that best bounds this device's clock offset, sent with each push. */
export function readClockSample(db: DeviceDb): ClockSample | null {
  return clockSampleSchema.safeParse(readSyncValue(db, 'clock.sample')).data ?? null;
}

/**
 * Keeps a fresh sample when it bounds the offset more tightly than the kept one, or the kept one
 * is older than this: device clocks drift by seconds a day, so a tight sample stays good for a while.
 */
const CLOCK_SAMPLE_MAX_AGE_MS = 10 * 60 * 1000;

export function recordClockSample(db: DeviceDb, sentAt: number, office: OfficeStamps, answeredAt: number): void {
  const fresh = clockSampleSchema.safeParse({ sentAt, officeReceivedAt: office.receivedAt, officeRepliedAt: office.repliedAt, answeredAt });
  // A device clock stepped back during the request makes no causal sample; the next one will.
  if (!fresh.success) return;
  writeSyncValue(db, 'clock.sample', preferSample(readClockSample(db), fresh.data, CLOCK_SAMPLE_MAX_AGE_MS));
}
