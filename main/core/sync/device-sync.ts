import type { DeviceKind } from '../../../protocol/wire.js';
import type { DeviceCore } from '../device-core.js';
import type { Clock, Randomness } from '../ports.js';
import type { SyncClientOptions, SyncReport } from './client.js';
import { type DaemonStatus, SyncDaemon, systemTimers, type Timers } from './daemon.js';
import { SyncError } from './errors.js';
import type { EnrollmentInfo } from './state.js';
import type { BinaryTransport, SyncTransport } from './transport.js';

export interface DeviceSyncStatus extends DaemonStatus {
  /**
   * Goes up each time a sync changed what the device holds (records, operators, outbox states),
   * so a screen knows to load again what it shows.
   */
  revision: number;
}

export interface DeviceSyncOptions {
  transport: SyncTransport;
  clock: Clock;
  random: Randomness;
  timers?: Timers;
  /** Time between syncs while all is well (the daemon's default otherwise). */
  intervalMs?: number;
  /** Passed to the sync client (an outdated build claims an old schema version). */
  client?: Omit<SyncClientOptions, 'database' | 'deviceId' | 'clock' | 'transport' | 'pinPepper'>;
  onStatus?(status: DeviceSyncStatus): void;
}

/**
 * Background maintenance (compaction, eviction, the state check) runs after a sync that found the
 * link quiet (nothing to send, nothing new to pull), so the syncs of a reconnect, which the
 * device's and the office's CPU are busy with, go first; a device never quiet for this long
 * maintains after its next sync anyway.
 */
export const MAINTENANCE_DEFERRAL_MS = 10 * 60 * 1000;

/**
 * The sync of one enrolled device as the app runs it: the daemon over the core's sync client, and
 * the revision that tells the UI when sync changed the data under it. The Electron shell and the
 * dev host each run one and feed it their triggers (network, resume, the user's "sync now").
 */
export class DeviceSync {
  readonly #daemon: SyncDaemon;
  readonly #networkLost: () => void;
  /** Null when the transport carries no files. */
  readonly #uploads: UploadPasses | null;
  readonly #clock: Clock;
  readonly #onStatus: DeviceSyncOptions['onStatus'];
  #revision = 0;
  /** Set once the office said this device is revoked: sync has stopped for good. */
  #revoked: DaemonStatus['lastError'] = null;

  constructor(
    core: Pick<DeviceCore, 'syncClient' | 'uploadAttachments' | 'collectAttachmentGarbage' | 'maintain' | 'stateCheckDue' | 'checkState'>,
    options: DeviceSyncOptions,
  ) {
    const { transport } = options;
    this.#uploads = carriesFiles(transport)
      ? new UploadPasses(async (signal) => {
          try {
            await core.uploadAttachments(transport, { schemaVersion: options.client?.schemaVersion, signal });
            // What the office holds past the grace window leaves the device.
            core.collectAttachmentGarbage();
          } catch (error) {
            // Each sync that goes through starts another pass, which continues where the office is.
            this.#noteRevocation(error);
          }
        })
      : null;
    /** Set once the running sync asked for an upload pass. */
    let uploadsAsked = false;
    const askForUploads = () => {
      uploadsAsked = true;
      this.#uploads?.request();
    };
    const client = core.syncClient(transport, {
      ...options.client,
      onBatch: (report) => {
        options.client?.onBatch?.(report);
        // Photos and signatures go up once the entries naming them are in, beside the pull that
        // follows and the syncs after it rather than in them: no pull waits for a photo on a slow link.
        if (report.acknowledged.length > 0 && client.outbox().pending === 0) askForUploads();
      },
    });
    this.#clock = options.clock;
    this.#networkLost = () => client.networkLost();
    this.#onStatus = options.onStatus;
    // As if maintained at start: a backlog sent on starting does not wait behind the device's housekeeping.
    let maintainedAt = options.clock.now();
    const maintenanceDue = (report: SyncReport) => (report.pushed.sent === 0 && !changedAnything(report)) || options.clock.now() - maintainedAt >= MAINTENANCE_DEFERRAL_MS;
    const noteChanges = (changed: boolean) => {
      if (changed) this.#revision++;
    };
    const pull = async () => {
      const pulled = await client.pull();
      noteChanges(pulled.records + pulled.operators > 0);
      return pulled;
    };
    /**
     * After a sync went through: compaction and eviction at a bounded cost, then, when due, the
     * state check against the office. Neither may fail the sync that went through.
     */
    const maintainAfterSync = async (): Promise<boolean> => {
      let changed = false;
      try {
        const maintenance = await core.maintain();
        changed = maintenance.recordsEvicted > 0;
        if (core.stateCheckDue(maintenance)) {
          const check = await core.checkState(transport, { catchUp: pull, schemaVersion: options.client?.schemaVersion });
          changed ||= check.outcome === 'repaired' || check.outcome === 'unresolved';
        }
      } catch {
        // Kept in the core's diagnostics (status().storage); the next sync runs both again.
      }
      return changed;
    };
    const stopIfRevoked = async <T>(run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        this.#noteRevocation(error);
        throw error;
      }
    };
    this.#daemon = new SyncDaemon({
      client: {
        sync: () =>
          stopIfRevoked(async () => {
            uploadsAsked = false;
            const report = await client.sync();
            noteChanges(changedAnything(report));
            // Nothing was sent, or entries are still pending: the attachments there are go up now.
            if (!uploadsAsked) askForUploads();
            if (maintenanceDue(report)) {
              maintainedAt = options.clock.now();
              noteChanges(await maintainAfterSync());
            }
            return report;
          }),
        pull: () => stopIfRevoked(pull),
        listen: (handlers) =>
          client.listen({
            ...handlers,
            onClose: (error) => {
              this.#noteRevocation(error);
              handlers.onClose(error);
            },
          }),
        outbox: () => client.outbox(),
        lastSuccessAt: () => client.lastSuccessAt(),
      },
      clock: options.clock,
      random: options.random,
      timers: options.timers ?? systemTimers,
      intervalMs: options.intervalMs,
      onStatus: options.onStatus && ((status) => options.onStatus?.(this.#view(status))),
    });
  }

  start(): void {
    this.#daemon.start();
  }

  /** Stops syncing; an upload pass under way ends before its next request. */
  stop(): void {
    this.#daemon.stop();
    this.#uploads?.stop();
  }

  status(): DeviceSyncStatus {
    return this.#view(this.#daemon.status());
  }

  /** The user asked to sync; resolves with the status once that sync is over (it never throws). */
  async syncNow(): Promise<DeviceSyncStatus> {
    await this.#daemon.syncNow();
    return this.status();
  }

  networkChanged(online: boolean): void {
    if (!online) this.#networkLost();
    this.#daemon.networkChanged(online);
  }

  resumed(): void {
    this.#daemon.resumed();
  }

  /** Resolves once no sync and no upload pass is running or queued (tests, and a clean quit). */
  async whenIdle(): Promise<void> {
    await this.#daemon.whenIdle();
    await this.#uploads?.whenIdle();
  }

  /**
   * A revoked device is refused everything it sends (403 device-revoked, or the live stream's
   * last event): stop the interval, retries and stream reconnects, which could only knock on the
   * office's door until an administrator enrolls a device again, and keep saying why. The user
   * may still press "sync now", which asks the office once more.
   */
  #noteRevocation(error: unknown): void {
    if (!(error instanceof SyncError) || error.code !== 'device-revoked' || this.#revoked) return;
    this.#revoked = { code: error.code, message: error.message, transient: false, at: this.#clock.now() };
    this.stop();
    this.#onStatus?.(this.status());
  }

  #view(status: DaemonStatus): DeviceSyncStatus {
    return { ...status, lastError: this.#revoked ?? status.lastError, revision: this.#revision };
  }
}

/**
 * Upload passes, one at a time. A pass asked for while one runs follows it, since the running one
 * may have listed the attachments before the newest; however many are asked for meanwhile, one follows.
 */
class UploadPasses {
  readonly #pass: (signal: AbortSignal) => Promise<void>;
  #running: Promise<void> | null = null;
  #again = false;
  #stop = new AbortController();

  /** `pass` never rejects. */
  constructor(pass: (signal: AbortSignal) => Promise<void>) {
    this.#pass = pass;
  }

  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run().finally(() => (this.#running = null));
  }

  /** The pass under way ends before its next request, and none follows it unless asked for again. */
  stop(): void {
    this.#again = false;
    this.#stop.abort();
    this.#stop = new AbortController();
  }

  whenIdle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    do {
      this.#again = false;
      await this.#pass(this.#stop.signal);
    } while (this.#again);
  }
}

function carriesFiles(transport: SyncTransport): transport is SyncTransport & BinaryTransport {
  return typeof (transport as Partial<BinaryTransport>).patch === 'function';
}

/** Acknowledged entries (failed ones included) change their records' sync state on screen. */
function changedAnything({ pushed, pulled }: SyncReport): boolean {
  return pushed.acknowledged.length + pulled.records + pulled.operators > 0;
}

export interface EnrollOnFirstStart {
  transport: SyncTransport;
  /** Asked for only when the device is not enrolled yet (a one-time token from an administrator). */
  token(): Promise<string> | string;
  kind: DeviceKind;
  label?: string;
}

/** The device's enrollment: the one it has, or a new one made with the token it is given. */
export async function enrollOnFirstStart(core: Pick<DeviceCore, 'enroll' | 'enrollment'>, options: EnrollOnFirstStart): Promise<EnrollmentInfo> {
  const existing = core.enrollment();
  if (existing) return existing;
  return core.enroll({ transport: options.transport, token: await options.token(), kind: options.kind, label: options.label });
}
