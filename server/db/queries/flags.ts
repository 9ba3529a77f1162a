import { asc, eq } from 'drizzle-orm';
import type { OfficeDb } from '../connect.js';
import { deviceFlags, devices } from '../schema.js';

export type DeviceFlag = typeof deviceFlags.$inferSelect;
export type NewDeviceFlag = Omit<DeviceFlag, 'id'>;

/** Records why a device needs an administrator's attention; a fork also marks the device flagged. */
export async function insertDeviceFlags(db: OfficeDb, flags: readonly NewDeviceFlag[]): Promise<void> {
  if (flags.length === 0) return;
  await db.insert(deviceFlags).values([...flags]);
  const forked = new Set(flags.filter((flag) => flag.kind === 'fork').map((flag) => flag.deviceId));
  for (const deviceId of forked) await db.update(devices).set({ flagged: true }).where(eq(devices.id, deviceId));
}

export async function listDeviceFlags(db: OfficeDb, deviceId: string): Promise<DeviceFlag[]> {
  return db.select().from(deviceFlags).where(eq(deviceFlags.deviceId, deviceId)).orderBy(asc(deviceFlags.id));
}
