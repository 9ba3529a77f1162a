import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  MAX_PUSH_BODY_BYTES,
  SCHEMA_VERSION_HEADER,
  SYNC_EVENTS,
  pullRequestSchema,
  pushRequestSchema,
  type SyncEventData,
} from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';
import { checkSchemaVersion, parseWith, schemaVersionOfBody } from '../requests.js';
import { authenticateDevice } from '../auth.js';
import { DEFAULT_DB_POOL_SIZE } from '../config.js';
import { openEventStream } from '../sync/event-stream.js';
import { type Device, findDevice, touchDevice } from '../db/queries/identity.js';
import { insertDeviceReport } from '../db/queries/kpis.js';
import { reportDue } from '../fleet/reports.js';
import { checkRequiredAppVersion } from '../fleet/required-update.js';
import { admitSyncWork, defaultAdmission, SyncAdmission } from '../sync/admission.js';
import { pullChanges } from '../sync/pull.js';
import { pushEntries } from '../sync/push.js';
import { upgradeRequest } from '../sync/upgrade.js';

/** Device sync: push journal entries, pull the change feed, and a live event stream. */
export function registerSyncRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { db } = context.database;
  // Authentication included: every step of a push or pull waits on the same database connections.
  const admission = context.syncAdmission ?? new SyncAdmission(defaultAdmission(DEFAULT_DB_POOL_SIZE));
  admitSyncWork(app, admission, ['/v1/sync/push', '/v1/sync/pull']);
  // Each device told of a change pulls: while sync work already waits for a turn, tell them less often.
  context.notifier.paceBy(() => admission.waiting > 0);

  app.post('/v1/sync/push', { bodyLimit: MAX_PUSH_BODY_BYTES, config: { itemsReadOneByOne: 'entries' } }, async (request) => {
    const device = await authenticateDevice(db, request);
    const clientVersion = schemaVersionOfBody(request.body);
    const push = parseWith(pushRequestSchema, upgradeRequest('push', request.body, clientVersion));
    checkRequiredAppVersion(device, push.appVersion, clientVersion);
    return pushEntries(context, device, push, clientVersion, request.receivedAt);
  });

  app.post('/v1/sync/pull', async (request) => {
    const device = await authenticateDevice(db, request);
    const clientVersion = schemaVersionOfBody(request.body);
    const pull = parseWith(pullRequestSchema, upgradeRequest('pull', request.body, clientVersion));
    checkRequiredAppVersion(device, pull.health?.appVersion, clientVersion);
    const page = await pullChanges(db, device, pull, clientVersion);
    const repliedAt = Math.max(request.receivedAt, context.clock.now());
    await touchDevice(db, device.id, repliedAt, clientVersion, pull.health);
    if (pull.health && reportDue(device.healthReportedAt, repliedAt)) {
      const { pending, failed, oldestPendingAgeMs, pushMs, convergedMs } = pull.health;
      await insertDeviceReport(db, {
        deviceId: device.id,
        reportedAt: repliedAt,
        pendingEntries: pending,
        failedEntries: failed,
        oldestPendingAgeMs,
        pullMs: repliedAt - request.receivedAt,
        pushMs: pushMs ?? null,
        convergedMs: convergedMs ?? null,
      });
    }
    return { ...page, time: { receivedAt: request.receivedAt, repliedAt } };
  });

  /**
   * Server-Sent Events: `ready` once subscribed, then `changes` when something for the device's
   * site commits (on any server instance; at most one per window, see `ChangeNotifier`), keep-alive
   * comments in between; `revoked`, and the end of the stream, as soon as an administrator's
   * revocation of the device commits.
   */
  app.get('/v1/sync/events', async (request, reply) => {
    const device = await authenticateDevice(db, request);
    checkSchemaVersion(schemaVersionHeader(request));
    const { siteId } = device;
    let ready = false;
    const events = openEventStream(request, reply, context, () => unsubscribe());
    const send = (event: string, data: SyncEventData) => events.send(event, data);
    const endRevoked = (at: number) => {
      send(SYNC_EVENTS.revoked, { siteId, at });
      events.end();
    };
    const unsubscribe = context.notifier.subscribe({
      deviceId: device.id,
      siteId,
      // Before `ready` nothing is lost: the device pulls when it hears `ready`.
      changes: (event) => {
        if (ready) send(SYNC_EVENTS.changes, { siteId, ...event });
      },
      revoked: endRevoked,
      missed: events.end,
    });
    // A revocation that committed after the authentication above, but before the subscription,
    // notified no one here: look again now that any later one will be heard.
    let current: Device | null;
    try {
      current = await findDevice(db, device.id);
    } catch (error) {
      request.log.warn({ err: error, deviceId: device.id }, 'could not check the device of an event stream; ending it');
      events.end();
      return;
    }
    if (events.ended) return;
    if (!current || current.revokedAt !== null) {
      endRevoked(current?.revokedAt ?? context.clock.now());
      return;
    }
    ready = true;
    send(SYNC_EVENTS.ready, { siteId, at: context.clock.now() });
  });
}

export function schemaVersionHeader(request: FastifyRequest): number {
  const header = request.headers[SCHEMA_VERSION_HEADER];
  return typeof header === 'string' && /^\d{1,7}$/.test(header) ? Number(header) : NaN;
}
