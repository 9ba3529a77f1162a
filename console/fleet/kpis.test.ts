import { describe, expect, it } from 'vitest';
import type { DeviceSummary } from '../../protocol/wire/office.js';
import { clockOffsetDistribution, deepestQueues, lastSyncDistribution } from './kpis.js';

const NOW = Date.UTC(2026, 11, 1, 12);
const MINUTE = 60_000;

function device(id: string, overrides: Partial<DeviceSummary> = {}): DeviceSummary {
  return { id, siteId: 'site-north', kind: 'cab', label: id, enrolledAt: 0, revokedAt: null, flagged: false, chainSeq: 0, lastSeenAt: NOW, health: null, clockOffsetMs: null, schemaVersion: 1, requiredAppVersion: null, operator: null, attention: [], ...overrides };
}
const health = (pending: number, failed = 0) => ({ reportedAt: NOW, appVersion: '0.1.0', pending, failed, oldestPendingAgeMs: null, lastPushMs: null, lastConvergedMs: null });

describe('fleet charts', () => {
  it('puts each device in service in one clock-offset bucket, ahead and behind apart, leaving out revoked devices and unknown offsets', () => {
    const rows = clockOffsetDistribution([
      device('a', { clockOffsetMs: 500 }),
      device('b', { clockOffsetMs: -1_999 }),
      device('c', { clockOffsetMs: 2_000 }),
      device('d', { clockOffsetMs: -3 * 60 * MINUTE }),
      device('e', { clockOffsetMs: null }),
      device('f', { clockOffsetMs: 9 * 60 * MINUTE, revokedAt: NOW }),
    ]);
    expect(rows).toEqual([
      { label: 'under 2 s', ahead: 1, behind: 1 },
      { label: '2 s – 1 min', ahead: 0, behind: 1 },
      { label: '1 – 5 min', ahead: 0, behind: 0 },
      { label: '5 min – 1 h', ahead: 0, behind: 0 },
      { label: 'over 1 h', ahead: 1, behind: 0 },
    ]);
  });

  it('buckets the time since each device last synced on the office clock, never-synced ones apart', () => {
    const rows = lastSyncDistribution(
      [device('a'), device('b', { lastSeenAt: NOW - 15 * MINUTE }), device('c', { lastSeenAt: NOW - 30 * 60 * MINUTE }), device('d', { lastSeenAt: null }), device('e', { lastSeenAt: null, revokedAt: NOW })],
      NOW,
    );
    expect(rows.map((row) => row.devices)).toEqual([1, 1, 0, 0, 1, 1]);
  });

  it('lists the deepest queues first, counting rejected entries, at most the limit', () => {
    const devices = [device('a', { health: health(3) }), device('b', { health: health(0) }), device('c', { health: health(10, 2) }), device('d', { health: health(1, 4) }), device('e')];
    expect(deepestQueues(devices, 2)).toEqual([
      { device: 'c', waiting: 10, rejected: 2 },
      { device: 'd', waiting: 1, rejected: 4 },
    ]);
  });
});
