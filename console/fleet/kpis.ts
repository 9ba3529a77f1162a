import type { DeviceSummary } from '../../protocol/wire/office.js';

/** The fleet page's charts from the device list: pure, so they are tested without a browser. */

export interface Bucket {
  label: string;
  devices: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bounds (exclusive upper) and labels of the clock-offset histogram, by the size of the correction either way. */
const OFFSET_BUCKETS: readonly [number, string][] = [
  [2 * SECOND, 'under 2 s'],
  [MINUTE, '2 s – 1 min'],
  [5 * MINUTE, '1 – 5 min'],
  [HOUR, '5 min – 1 h'],
  [Infinity, 'over 1 h'],
];

/** Devices in service by how far the office found their clock off, ahead and behind told apart. */
export function clockOffsetDistribution(devices: readonly DeviceSummary[]): { label: string; ahead: number; behind: number }[] {
  const rows = OFFSET_BUCKETS.map(([, label]) => ({ label, ahead: 0, behind: 0 }));
  for (const device of devices) {
    if (device.revokedAt !== null || device.clockOffsetMs === null) continue;
    const index = OFFSET_BUCKETS.findIndex(([bound]) => Math.abs(device.clockOffsetMs!) < bound);
    // A positive correction means the device's clock is behind the office's.
    rows[index]![device.clockOffsetMs > 0 ? 'behind' : 'ahead']++;
  }
  return rows;
}

const SYNC_AGE_BUCKETS: readonly [number, string][] = [
  [15 * MINUTE, 'under 15 min'],
  [HOUR, '15 min – 1 h'],
  [8 * HOUR, '1 – 8 h'],
  [DAY, '8 – 24 h'],
  [Infinity, 'over a day'],
];

/** Devices in service by how long ago they last synced (measured on the office's clock); never-synced ones last. */
export function lastSyncDistribution(devices: readonly DeviceSummary[], now: number): Bucket[] {
  const rows: Bucket[] = [...SYNC_AGE_BUCKETS.map(([, label]) => ({ label, devices: 0 })), { label: 'never', devices: 0 }];
  for (const device of devices) {
    if (device.revokedAt !== null) continue;
    const index = device.lastSeenAt === null ? rows.length - 1 : SYNC_AGE_BUCKETS.findIndex(([bound]) => now - device.lastSeenAt! < bound);
    rows[index]!.devices++;
  }
  return rows;
}

/** The devices with the deepest queues as they last told it, deepest first (at most `limit`). */
export function deepestQueues(devices: readonly DeviceSummary[], limit: number): { device: string; waiting: number; rejected: number }[] {
  return devices
    .filter((device) => device.revokedAt === null && device.health !== null && device.health.pending + device.health.failed > 0)
    .map((device) => ({ device: device.label ?? device.id, waiting: device.health!.pending, rejected: device.health!.failed }))
    .sort((a, b) => b.waiting + b.rejected - (a.waiting + a.rejected) || (a.device < b.device ? -1 : 1))
    .slice(0, limit);
}
