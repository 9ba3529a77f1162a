import { z } from 'zod';
import { text } from '../text.js';

/**
 * What a device tells the office of itself with each pull, for the fleet page: its build, and its
 * queue as it stands after the sync's pushes. Ages are measured on the device's own clock, so a
 * wrong clock does not make a queue look stuck or fresh.
 */
export const deviceHealthSchema = z.strictObject({
  /** The app build, as its installer names it ("0.4.2"). */
  appVersion: text().min(1).max(40).optional(),
  /** Entries waiting to be sent. */
  pending: z.number().int().nonnegative().max(1_000_000_000),
  /** Entries the office rejected, waiting for an operator to retry or discard them. */
  failed: z.number().int().nonnegative().max(1_000_000_000),
  /** How long the oldest pending entry has waited, in ms; null when none waits. */
  oldestPendingAgeMs: z.number().int().nonnegative().max(10 * 365 * 24 * 60 * 60 * 1000).nullable(),
  /** The round trip of the device's last push, in ms, as the device measured it (the link included). */
  pushMs: z.number().int().nonnegative().max(24 * 60 * 60 * 1000).optional(),
  /**
   * The device's last reconnect: ms from its first sync attempt after being cut off (offline, or
   * its syncs failing) to a sync that left nothing pending and pulled the feed to its head.
   */
  convergedMs: z.number().int().nonnegative().max(30 * 24 * 60 * 60 * 1000).optional(),
});
export type DeviceHealth = z.infer<typeof deviceHealthSchema>;
