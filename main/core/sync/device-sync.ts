import type { DeviceKind } from '../../../protocol/wire.js';
import type { DeviceCore } from '../device-core.js';
import type { Clock, Randomness } from '../ports.js';
import type { SyncClientOptions, SyncReport } from './client.js';
import { type DaemonStatus, SyncDaemon, systemTimers, type Timers } from './daemon.js';
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
  client?: Omit<SyncClientOptions, 'database' | 'deviceId' | 'clock' | 'transport'>;
  onStatus?(status: DeviceSyncStatus): void;
}

/**
 * The sync of one enrolled device as the app runs it: the daemon over the core's sync client, and
 * the revision that tells the UI when sync changed the data under it. The Electron shell and the
 * dev host each run one and feed it their triggers (network, resume, the user's "sync now").
 */
export class DeviceSync {
  readonly #daemon: SyncDaemon;
  #revision = 0;

  constructor(core: Pick<DeviceCore, 'syncClient' | 'uploadAttachments' | 'collectAttachmentGarbage'>, options: DeviceSyncOptions) {
    const client = core.syncClient(options.transport, options.client);
    const { transport } = options;
    const noteChanges = (changed: boolean) => {
      if (changed) this.#revision++;
    };
    this.#daemon = new SyncDaemon({
      client: {
        sync: async () => {
          const report = await client.sync();
          noteChanges(changedAnything(report));
          // Photos and signatures go up after the entries naming them; what the office holds past
          // the grace window leaves the device.
          if (carriesFiles(transport)) {
            await core.uploadAttachments(transport);
            core.collectAttachmentGarbage();
          }
          return report;
        },
        pull: async () => {
          const pulled = await client.pull();
          noteChanges(pulled.records + pulled.operators > 0);
          return pulled;
        },
        listen: (handlers) => client.listen(handlers),
        outbox: () => client.outbox(),
        lastSuccessAt: () => client.lastSuccessAt(),
      },
      clock: options.clock,
      random: options.random,
      timers: options.timers ?? systemTimers,
      intervalMs: options.intervalMs,
      onStatus: options.onStatus && ((status) => options.onStatus?.({ ...status, revision: this.#revision })),
    });
  }

  start(): void {
    this.#daemon.start();
  }

  stop(): void {
    this.#daemon.stop();
  }

  status(): DeviceSyncStatus {
    return { ...this.#daemon.status(), revision: this.#revision };
  }

  /** The user asked to sync; resolves with the status once that sync is over (it never throws). */
  async syncNow(): Promise<DeviceSyncStatus> {
    await this.#daemon.syncNow();
    return this.status();
  }

  networkChanged(online: boolean): void {
    this.#daemon.networkChanged(online);
  }

  resumed(): void {
    this.#daemon.resumed();
  }

  whenIdle(): Promise<void> {
    return this.#daemon.whenIdle();
  }
}

function carriesFiles(transport: SyncTransport): transport is SyncTransport & BinaryTransport {
  return typeof (transport as Partial<BinaryTransport>).patch === 'function' && typeof (transport as Partial<BinaryTransport>).get === 'function';
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
