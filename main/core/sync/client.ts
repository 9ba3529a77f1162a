import type { DeviceDb, Sqlite } from '../../../db/open.js';
import { countOutbox, oldestPendingDeviceTime } from '../../../db/queries/outbox.js';
import { writeSyncValue } from '../../../db/queries/sync.js';
import { CURRENT_SCHEMA_VERSION, DEFAULT_PULL_LIMIT, type DeviceHealth, SYNC_EVENTS, syncEventDataSchema, type SyncEventData } from '../../../protocol/wire.js';
import type { Clock } from '../ports.js';
import { deviceHeaders } from './api.js';
import { SyncError } from './errors.js';
import { pullPage } from './pull.js';
import { type PushBatchReport, PushPacer, pushBatch } from './push.js';
import { readLastSuccessAt, requireEnrollment } from './state.js';
import type { EventStream, SyncTransport } from './transport.js';

export interface SyncClientOptions {
  database: { db: DeviceDb; sqlite: Sqlite };
  deviceId: string;
  clock: Clock;
  transport: SyncTransport;
  /** The key store's PIN pepper: pulled operators' verifiers are stored peppered with it. */
  pinPepper: Uint8Array;
  /** The schema this build speaks (tests of the update-required path claim an old one). */
  schemaVersion?: number;
  /** The most entries per push request (MAX_PUSH_ENTRIES unless lower); batches are sized by answer time up to it. */
  batchSize?: number;
  /** Changes per pull page. */
  pullLimit?: number;
  /** Told after each push batch is applied (progress, and what a later failure leaves done). */
  onBatch?(report: PushBatchReport): void;
  /** Told when a pull removed an operator the office deactivated. */
  onOperatorRemoved?(operatorId: string): void;
  /** The app build, told to the office with each pull for its fleet page (the shell's own version). */
  appVersion?: string;
}

export interface PushSummary {
  batches: number;
  sent: number;
  /** Entries newly acknowledged by the office (failed ones included), in order. */
  acknowledged: number[];
  failed: number[];
  conflicts: number;
}

export interface PullSummary {
  pages: number;
  records: number;
  operators: number;
}

export interface SyncReport {
  pushed: PushSummary;
  pulled: PullSummary;
  at: number;
}

export interface LiveHandlers {
  /** The stream is connected: changes made while it was not may have been missed. */
  onReady(): void;
  /** Something for this device's site was committed at the office, not only this device's own pushes. */
  onChanges(data: SyncEventData): void;
  /** The stream ended; a revoked device's ends with a `device-revoked` SyncError, as its requests do. */
  onClose(error: Error | null): void;
}

/**
 * Pages of a pull in one sync. Ten thousand pages of 200 changes is far beyond any backlog a
 * device meets; the bound only keeps a misbehaving office from holding sync forever.
 */
const MAX_PULL_PAGES = 10_000;

/**
 * The device side of sync: push pending journal entries, pull canonical changes, listen for the
 * office's live notifications. One operation runs at a time per client, so an answer is always
 * applied against the outbox it was computed from.
 */
export class SyncClient {
  readonly #options: SyncClientOptions;
  readonly #schemaVersion: number;
  /** Kept across syncs: what the office's last answers said about its load holds for the next push. */
  readonly #pacer: PushPacer;
  #queue: Promise<unknown> = Promise.resolve();
  /** What the device measured of its link, told to the office with its health (the fleet page's charts). */
  readonly #link = new LinkTimes();

  constructor(options: SyncClientOptions) {
    this.#options = options;
    this.#schemaVersion = options.schemaVersion ?? CURRENT_SCHEMA_VERSION;
    this.#pacer = new PushPacer(options.batchSize);
  }

  /** Sends every pending entry, in bounded batches, oldest first. */
  push(): Promise<PushSummary> {
    return this.#exclusive(async () => (await this.#pushAll()).summary);
  }

  /** Applies every change after the stored cursor. */
  pull(): Promise<PullSummary> {
    return this.#exclusive(() => this.#pullAll());
  }

  /** Push, then pull; records when it last went through. */
  sync(): Promise<SyncReport> {
    return this.#exclusive(async () => {
      const { clock } = this.#options;
      const startedAt = this.#link.attempt(clock.now());
      try {
        const { summary: pushed, drained } = await this.#pushAll();
        const pulled = await this.#pullAll();
        const at = clock.now();
        writeSyncValue(this.#options.database.db, 'sync.lastSuccessAt', at);
        this.#link.wentThrough(startedAt, at, drained);
        return { pushed, pulled, at };
      } catch (error) {
        if (error instanceof SyncError && (error.code === 'network' || error.status === 503)) this.#link.cutOff();
        throw error;
      }
    });
  }

  /** The device lost its network: the next sync that converges is timed as a reconnect. */
  networkLost(): void {
    this.#link.cutOff();
  }

  outbox(): { pending: number; failed: number } {
    const { pending, failed } = countOutbox(this.#options.database.db);
    return { pending, failed };
  }

  lastSuccessAt(): number | null {
    return readLastSuccessAt(this.#options.database.db);
  }

  /** Opens the live notification stream (GET /v1/sync/events). */
  listen(handlers: LiveHandlers): EventStream {
    const enrollment = requireEnrollment(this.#options.database.db);
    let revoked = false;
    const stream = this.#options.transport.events('/v1/sync/events', deviceHeaders(enrollment.credential, this.#schemaVersion), {
      onEvent: (event, data) => {
        if (revoked) return;
        if (event === SYNC_EVENTS.revoked) {
          revoked = true;
          stream.close();
          handlers.onClose(new SyncError('device-revoked', 'this device was revoked by an administrator; it can no longer sync', false, 403));
          return;
        }
        if (event === SYNC_EVENTS.ready) handlers.onReady();
        if (event !== SYNC_EVENTS.changes) return;
        const parsed = safeJson(data, syncEventDataSchema);
        // The answers to this device's own pushes carried their records, and a pull would leave them out.
        if (parsed && this.#onlyOwnPushes(parsed)) return;
        // A notification only says "pull now"; one we cannot read still means that.
        handlers.onChanges(parsed ?? { siteId: enrollment.siteId, at: this.#options.clock.now() });
      },
      onClose: (error) => {
        if (!revoked) handlers.onClose(error);
      },
    });
    return stream;
  }

  #onlyOwnPushes(event: SyncEventData): boolean {
    const by = event.by;
    return by !== undefined && !by.office && by.devices.length === 1 && by.devices[0] === this.#options.deviceId;
  }

  #deps() {
    const { database, deviceId, clock, transport, pinPepper, appVersion } = this.#options;
    return { ...database, deviceId, clock, transport, pinPepper, appVersion, enrollment: requireEnrollment(database.db), schemaVersion: this.#schemaVersion };
  }

  /** `drained`: the push stopped because nothing was left to send (not at its bound of rounds). */
  async #pushAll(): Promise<{ summary: PushSummary; drained: boolean }> {
    const deps = this.#deps();
    const summary: PushSummary = { batches: 0, sent: 0, acknowledged: [], failed: [], conflicts: 0 };
    // Rounds enough for what is pending now even in the smallest batches; entries made while
    // pushing cannot keep the loop going (what is left goes with the next sync).
    const rounds = Math.ceil(this.outbox().pending / this.#pacer.smallest) + 1;
    for (let round = 0; round < rounds; round++) {
      const report = await pushBatch(deps, this.#pacer);
      if (!report) return { summary, drained: true };
      this.#link.pushed(report.roundTripMs);
      this.#options.onBatch?.(report);
      summary.batches++;
      summary.sent += report.sent;
      summary.acknowledged.push(...report.acknowledged);
      summary.failed.push(...report.failed);
      summary.conflicts += report.conflicts;
      const refused = report.notAcknowledged[0];
      if (refused) {
        throw new SyncError(
          'entries-not-acknowledged',
          `the office did not take entry ${refused.seq} (${refused.reason}: ${refused.message}); it and ${report.notAcknowledged.length - 1} later entries stay pending`,
          false,
        );
      }
    }
    return { summary, drained: false };
  }

  async #pullAll(): Promise<PullSummary> {
    const deps = { ...this.#deps(), onOperatorRemoved: this.#options.onOperatorRemoved, health: () => this.#health() };
    const summary: PullSummary = { pages: 0, records: 0, operators: 0 };
    for (let page = 0; page < MAX_PULL_PAGES; page++) {
      const report = await pullPage(deps, this.#options.pullLimit ?? DEFAULT_PULL_LIMIT);
      summary.pages++;
      summary.records += report.records;
      summary.operators += report.operators;
      if (!report.hasMore) break;
    }
    return summary;
  }

  #health(): DeviceHealth {
    const { db } = this.#options.database;
    const { pending, failed } = countOutbox(db);
    const oldest = oldestPendingDeviceTime(db);
    const appVersion = this.#options.appVersion;
    return {
      ...(appVersion ? { appVersion } : {}),
      pending,
      failed,
      oldestPendingAgeMs: oldest === null ? null : Math.max(0, this.#options.clock.now() - oldest),
      ...this.#link.measured(),
    };
  }

  #exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function safeJson<T>(text: string, schema: { safeParse(value: unknown): { success: boolean; data?: T } }): T | null {
  try {
    return schema.safeParse(JSON.parse(text)).data ?? null;
  } catch {
    return null;
  }
}

/**
 * The link as the device saw it: its last push round trip, and its last reconnect, from the first
 * sync attempt after it was cut off (no network, or syncs failing to reach the office) to a sync
 * that went through leaving nothing pending.
 */
class LinkTimes {
  #lastPushMs: number | null = null;
  #lastConvergedMs: number | null = null;
  #cutOff = false;
  /** When the reconnect being timed began: the first attempt since the cut-off. */
  #reconnectFrom: number | null = null;

  attempt(at: number): number {
    if (this.#cutOff && this.#reconnectFrom === null) this.#reconnectFrom = at;
    return at;
  }

  cutOff(): void {
    this.#cutOff = true;
    this.#reconnectFrom = null;
  }

  pushed(roundTripMs: number): void {
    this.#lastPushMs = Math.max(0, Math.round(roundTripMs));
  }

  wentThrough(startedAt: number, at: number, drained: boolean): void {
    if (!drained) return;
    if (this.#cutOff) this.#lastConvergedMs = Math.max(0, at - (this.#reconnectFrom ?? startedAt));
    this.#cutOff = false;
    this.#reconnectFrom = null;
  }

  measured(): { pushMs?: number; convergedMs?: number } {
    return { ...(this.#lastPushMs === null ? {} : { pushMs: this.#lastPushMs }), ...(this.#lastConvergedMs === null ? {} : { convergedMs: this.#lastConvergedMs }) };
  }
}

