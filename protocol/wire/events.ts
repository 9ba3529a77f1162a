import { z } from 'zod';
import { identifier } from '../journal.js';

/**
 * Live notification (SSE on GET /v1/sync/events).
 *
 * `ready` once connected; `changes` when something for the device's site was committed (pull
 * then); comment lines (`: keep-alive`) keep proxies from closing the stream. `revoked` is the last
 * event of a stream whose device an administrator revoked: the office ends it at once, on every
 * instance, and the device's requests now get 403 `device-revoked`. The data of every event is JSON.
 */
export const SYNC_EVENTS = { ready: 'ready', changes: 'changes', revoked: 'revoked' } as const;
export const syncEventDataSchema = z.object({ siteId: identifier, at: z.number().int() });
export type SyncEventData = z.infer<typeof syncEventDataSchema>;
