import { z } from 'zod';
import { identifier } from '../field-operations.js';

/**
 * Live notification (SSE on GET /v1/sync/events).
 *
 * `ready` once connected; `changes` when something for the device's site was committed (pull
 * then); comment lines (`: keep-alive`) keep proxies from closing the stream. `revoked` is the last
 * event of a stream whose device an administrator revoked: the office ends it at once, on every
 * instance, and the device's requests now get 403 `device-revoked`. The data of every event is JSON.
 *
 * The office sends a site's devices at most one `changes` event per `SYNC_EVENT_WINDOW_MS`: the
 * first commit after a quiet window is told at once, the commits during a window in one event
 * as it closes (the latest `at`, and who made any of them in `by`); a busy office holds them
 * for up to a second.
 */
export const SYNC_EVENTS = { ready: 'ready', changes: 'changes', revoked: 'revoked' } as const;

export const SYNC_EVENT_WINDOW_MS = 250;

/** Beyond this many pushing devices in one event `by` is left out: no device could skip it anyway. */
export const MAX_EVENT_DEVICES = 32;

export const syncEventDataSchema = z.object({
  siteId: identifier,
  at: z.number().int(),
  /**
   * Whose commits a `changes` event covers: the devices whose pushes committed, and whether the
   * office wrote too (console, review decisions, administration). A device told only of its own
   * pushes need not pull: their answers carried the records. Absent: unknown, pull.
   */
  by: z.object({ devices: z.array(identifier).max(MAX_EVENT_DEVICES), office: z.boolean() }).optional(),
});
export type SyncEventData = z.infer<typeof syncEventDataSchema>;
