import type { DeviceAttention } from '../../protocol/wire.js';

/** When a device needs someone to look at it, for the fleet page. */
export interface AttentionThresholds {
  /** Not heard from for this long: out of coverage, switched off, or broken. */
  silentAfterMs: number;
  /** The oldest entry waiting to be sent has waited this long: the queue is stuck. */
  stuckAfterMs: number;
  /** The office corrected the device's clock by more than this. */
  clockOffsetMs: number;
}

const HOUR = 60 * 60 * 1000;
export const DEFAULT_ATTENTION: AttentionThresholds = { silentAfterMs: 8 * HOUR, stuckAfterMs: HOUR, clockOffsetMs: 5 * 60 * 1000 };

/** What the fleet page knows of a device. */
export interface DeviceStanding {
  enrolledAt: number;
  revokedAt: number | null;
  flagged: boolean;
  lastSeenAt: number | null;
  pendingEntries: number | null;
  failedEntries: number | null;
  oldestPendingAgeMs: number | null;
  clockOffsetMs: number | null;
}

/** Why a device needs looking at, most urgent first; none for a revoked device, which syncs no more. */
export function deviceAttention(device: DeviceStanding, now: number, thresholds: AttentionThresholds = DEFAULT_ATTENTION): DeviceAttention[] {
  if (device.revokedAt !== null) return [];
  const reasons: DeviceAttention[] = [];
  if (device.flagged) {
    reasons.push({ code: 'chain-flagged', message: 'it sent a journal that does not continue what the office had anchored (restored from a backup, or tampered with); see its flags' });
  }
  if (device.lastSeenAt === null) {
    if (now - device.enrolledAt >= thresholds.silentAfterMs) reasons.push({ code: 'never-synced', message: `enrolled ${duration(now - device.enrolledAt)} ago and never synced` });
  } else if (now - device.lastSeenAt >= thresholds.silentAfterMs) {
    reasons.push({ code: 'not-synced', message: `last synced ${duration(now - device.lastSeenAt)} ago` });
  }
  const pending = device.pendingEntries ?? 0;
  if (pending > 0 && (device.oldestPendingAgeMs ?? 0) >= thresholds.stuckAfterMs) {
    reasons.push({ code: 'queue-stuck', message: `${count(pending, 'entry', 'entries')} waiting to be sent, the oldest for ${duration(device.oldestPendingAgeMs!)}` });
  }
  const failed = device.failedEntries ?? 0;
  if (failed > 0) reasons.push({ code: 'entries-failed', message: `${count(failed, 'entry', 'entries')} the office rejected, waiting for an operator to retry or discard` });
  if (device.clockOffsetMs !== null && Math.abs(device.clockOffsetMs) > thresholds.clockOffsetMs) {
    const direction = device.clockOffsetMs > 0 ? 'behind' : 'ahead of';
    reasons.push({ code: 'clock-off', message: `its clock is ${duration(Math.abs(device.clockOffsetMs))} ${direction} the office's` });
  }
  return reasons;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 h 20 min", "45 min", "2 days 4 h": as precise as a person needs. */
function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days > 0) return `${count(days, 'day', 'days')}${hours % 24 > 0 ? ` ${hours % 24} h` : ''}`;
  if (hours > 0) return `${hours} h${minutes % 60 > 0 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.max(1, minutes)} min`;
}
