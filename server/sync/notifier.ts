import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { MAX_EVENT_DEVICES, SYNC_EVENT_WINDOW_MS, type SyncEventData } from '../../protocol/wire.js';
import type { OfficeDatabase, OfficeDb } from '../db/connect.js';
import { type AdmissionTimers, systemTimers } from './admission.js';

/**
 * Live notification. A writing transaction calls `notifySites` (or `notifyRevoked`) before it
 * commits; Postgres delivers NOTIFY only on commit (and never for a rollback), to every server
 * instance listening, in commit order, and each instance tells its connected devices' event
 * streams. PGlite does the same in-process. Because a revocation travels the same way, in the
 * revoking transaction, every instance ends the device's streams before it hears any change
 * committed after the revocation.
 *
 * A busy site commits many times a second (every push of every device), and each device told
 * pulls: each instance tells a site's streams at most once per window (`SiteWindows`), less often
 * while its sync work is queueing (`paceBy`), and says whose commits the event covers, so that a
 * device told only of its own pushes need not pull.
 */
const payloadSchema = z.object({
  sites: z.array(z.string()).max(1000).default([]),
  /** Devices revoked by the notifying transaction. */
  revoked: z.array(z.string()).max(1000).default([]),
  at: z.number(),
  /** The device whose push committed; absent for the office's own writes (and from older instances). */
  by: z.string().max(128).optional(),
});
type Payload = z.infer<typeof payloadSchema>;

export function notificationChannel(schema: string): string {
  const readable = schema === 'public' ? 'waypost_changes' : `waypost_changes_${schema}`;
  return readable.length <= 63 ? readable : `waypost_changes_${sha256Hex(schema).slice(0, 16)}`;
}

/** `pushedBy`: the device whose push this transaction commits; none for the office's own writes. */
export async function notifySites(db: OfficeDb, channel: string, siteIds: Iterable<string>, at: number, pushedBy?: string): Promise<void> {
  const sites = [...new Set(siteIds)].sort();
  if (sites.length === 0) return;
  await notify(db, channel, { sites, revoked: [], at, by: pushedBy });
}

/** Tells every instance, once the revocation commits, to end the device's event streams. */
export async function notifyRevoked(db: OfficeDb, channel: string, deviceId: string, at: number): Promise<void> {
  await notify(db, channel, { sites: [], revoked: [deviceId], at });
}

async function notify(db: OfficeDb, channel: string, payload: Payload): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${channel}, ${JSON.stringify(payload)})`);
}

/** One device's open event stream. */
export interface StreamSubscriber {
  deviceId: string;
  siteId: string;
  /** Something for the site committed. */
  changes(event: SiteChanges): void;
  /** The device was revoked; the subscriber is already unsubscribed. */
  revoked(at: number): void;
  /**
   * Notifications may have been lost (the listening connection was lost and made again); the
   * subscriber is already unsubscribed. Ending the stream makes the device connect again, which
   * checks its credential anew and has it pull what it missed.
   */
  missed(): void;
}

/** An office user's open event stream: told of commits for any of `sites`. */
export interface OfficeWatcher {
  sites: ReadonlySet<string>;
  changes(siteId: string, event: SiteChanges): void;
  /** As `StreamSubscriber.missed`: the watcher is already unsubscribed, and should end its stream. */
  missed(): void;
}

/** A `changes` event as streams send it, less the site. */
export type SiteChanges = Omit<SyncEventData, 'siteId'>;

export interface NotifierOptions {
  /** A site's streams hear at most one `changes` event per this long (default SYNC_EVENT_WINDOW_MS). */
  windowMs?: number;
  timers?: AdmissionTimers;
}

/**
 * While the office is busy, commits are held this many windows at most (1 s by default): every
 * device told would pull, and those pulls would only queue behind the work already waiting or
 * be turned away. The last commit is still told, a little later.
 */
export const BUSY_HOLD_WINDOWS = 4;

/** Emits `close` when it stops, so open event streams can end. */
export class ChangeNotifier extends EventEmitter {
  #bySite = new Map<string, Set<StreamSubscriber>>();
  #byDevice = new Map<string, Set<StreamSubscriber>>();
  #watchers = new Set<OfficeWatcher>();
  #unlisten: (() => Promise<void>) | null = null;
  readonly #windows: SiteWindows;

  constructor(
    private readonly database: OfficeDatabase,
    readonly channel: string,
    private readonly logger: FastifyBaseLogger,
    options: NotifierOptions = {},
  ) {
    super();
    this.setMaxListeners(0);
    this.#windows = new SiteWindows(options.windowMs ?? SYNC_EVENT_WINDOW_MS, options.timers ?? systemTimers, (siteId, event) => {
      for (const subscriber of this.#bySite.get(siteId) ?? []) subscriber.changes(event);
      for (const watcher of this.#watchers) if (watcher.sites.has(siteId)) watcher.changes(siteId, event);
    });
  }

  get listening(): boolean {
    return this.#unlisten !== null;
  }

  async start(): Promise<void> {
    this.#unlisten = await this.database.listen(
      this.channel,
      (payload) => this.#deliver(payload),
      () => this.#missed(),
    );
  }

  async stop(): Promise<void> {
    const unlisten = this.#unlisten;
    this.#unlisten = null;
    this.#bySite.clear();
    this.#byDevice.clear();
    this.#watchers.clear();
    this.#windows.clear();
    this.emit('close');
    await unlisten?.().catch((error: unknown) => this.logger.warn({ err: error }, 'could not stop listening for changes'));
  }

  /** From now on commits are held longer while `busy` says so (sync work waits for a turn). */
  paceBy(busy: () => boolean): void {
    this.#windows.busy = busy;
  }

  /** Tells `subscriber` what commits for its site and device until the returned unsubscribe is called. */
  subscribe(subscriber: StreamSubscriber): () => void {
    addTo(this.#bySite, subscriber.siteId, subscriber);
    addTo(this.#byDevice, subscriber.deviceId, subscriber);
    return () => {
      removeFrom(this.#bySite, subscriber.siteId, subscriber);
      removeFrom(this.#byDevice, subscriber.deviceId, subscriber);
    };
  }

  /** Tells an office stream what commits for its sites, in the same windows as the sites' devices hear it. */
  watch(watcher: OfficeWatcher): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  #missed(): void {
    const subscribers = [...this.#byDevice.values()].flatMap((set) => [...set]);
    const watchers = [...this.#watchers];
    this.logger.warn({ streams: subscribers.length + watchers.length }, 'change notifications may have been missed while listening was down; ending event streams so devices reconnect and pull');
    this.#bySite.clear();
    this.#byDevice.clear();
    this.#watchers.clear();
    for (const subscriber of subscribers) subscriber.missed();
    for (const watcher of watchers) watcher.missed();
  }

  #deliver(payload: string): void {
    let parsed: Payload;
    try {
      parsed = payloadSchema.parse(JSON.parse(payload));
    } catch {
      this.logger.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed change notification');
      return;
    }
    // Unsubscribed before being told, so nothing in this or a later notification reaches it.
    for (const deviceId of parsed.revoked) {
      for (const subscriber of [...(this.#byDevice.get(deviceId) ?? [])]) {
        removeFrom(this.#bySite, subscriber.siteId, subscriber);
        removeFrom(this.#byDevice, deviceId, subscriber);
        subscriber.revoked(parsed.at);
      }
    }
    for (const siteId of parsed.sites) this.#windows.changed(siteId, parsed.at, parsed.by);
  }
}

/** What a site's commits since it was last told add up to. */
interface Held {
  at: number;
  /** Null once more devices pushed than an event names. */
  devices: Set<string> | null;
  office: boolean;
  /** Windows it was held past because the office was busy. */
  waited: number;
}

/**
 * At most one `changes` event per site per window. The first commit after a quiet window is told
 * at once (a lone office edit reaches the cab without waiting); those during the window are held
 * and told together as it closes, which opens the next window. While `busy`, commits are held for
 * more windows (the first one too), up to BUSY_HOLD_WINDOWS. The last commit is always told.
 * Revocations are not held: a stream unsubscribed meanwhile hears nothing more.
 */
class SiteWindows {
  readonly #open = new Map<string, { timer: unknown; held: Held | null }>();
  busy: () => boolean = () => false;

  constructor(
    private readonly windowMs: number,
    private readonly timers: AdmissionTimers,
    private readonly tell: (siteId: string, event: SiteChanges) => void,
  ) {}

  changed(siteId: string, at: number, pushedBy: string | undefined): void {
    const window = this.#open.get(siteId);
    if (window) window.held = adding(window.held, at, pushedBy);
    else this.#next(siteId, adding(null, at, pushedBy));
  }

  clear(): void {
    for (const window of this.#open.values()) this.timers.clearTimeout(window.timer);
    this.#open.clear();
  }

  /** Tells what is held, or holds it one more window while the office is busy. */
  #next(siteId: string, held: Held): void {
    const holding = held.waited < BUSY_HOLD_WINDOWS && this.busy();
    if (holding) held.waited++;
    const timer = this.timers.setTimeout(() => {
      const closing = this.#open.get(siteId);
      this.#open.delete(siteId);
      if (closing?.held) this.#next(siteId, closing.held);
    }, this.windowMs);
    this.#open.set(siteId, { timer, held: holding ? held : null });
    if (!holding) this.tell(siteId, { at: held.at, by: held.devices ? { devices: [...held.devices].sort(), office: held.office } : undefined });
  }
}

function adding(held: Held | null, at: number, pushedBy: string | undefined): Held {
  const next: Held = held ?? { at, devices: new Set(), office: false, waited: 0 };
  next.at = Math.max(next.at, at);
  if (pushedBy === undefined) next.office = true;
  else if (next.devices && !next.devices.has(pushedBy)) next.devices = next.devices.size < MAX_EVENT_DEVICES ? next.devices.add(pushedBy) : null;
  return next;
}

function addTo<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  let values = map.get(key);
  if (!values) {
    values = new Set();
    map.set(key, values);
  }
  values.add(value);
}

function removeFrom<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  const values = map.get(key);
  if (!values) return;
  values.delete(value);
  if (values.size === 0) map.delete(key);
}
