import type { DeviceCore } from '../core/device-core.js';
import { systemClock, systemRandomness } from '../core/ports.js';
import { DeviceSync, enrollOnFirstStart } from '../core/sync/device-sync.js';
import { FetchTransport } from '../core/sync/transport.js';
import type { CoreOfficeConfig } from './channel.js';

/**
 * The core process's half of sync: enrollment on the first start with an administrator's token,
 * then the daemon (interval, backoff, live notifications). The triggers only Electron knows about
 * (network, wake, window to the front) arrive from the shell as messages (main/shell/machine-events.ts).
 */
export interface OfficeSync {
  /** The running sync, once the device is enrolled. */
  current(): DeviceSync | null;
  networkChanged(online: boolean): void;
  resumed(): void;
  stop(): Promise<void>;
}

export interface OfficeSyncOptions {
  office: CoreOfficeConfig | null;
  online: boolean;
  onUpdateRequired(): void;
  log(message: string, error?: unknown): void;
}

export function startOfficeSync(core: DeviceCore, options: OfficeSyncOptions): OfficeSync {
  const { office, log } = options;
  let sync: DeviceSync | null = null;
  let stopped = false;
  let online = options.online;
  if (!office) {
    log('no office address (WAYPOST_OFFICE_URL): this device works on its own and does not sync');
    return { current: () => null, networkChanged: () => undefined, resumed: () => undefined, stop: async () => undefined };
  }

  const transport = new FetchTransport(office.url);
  void enrollOnFirstStart(core, {
    transport,
    kind: office.kind,
    label: office.label,
    token: () => {
      if (!office.enrollmentToken) throw new Error('this device is not enrolled: set WAYPOST_ENROLLMENT_TOKEN to a token from the office');
      return office.enrollmentToken;
    },
  }).then(
    () => {
      if (stopped) return;
      let updateAsked = false;
      sync = new DeviceSync(core, {
        transport,
        clock: systemClock,
        random: systemRandomness,
        client: { appVersion: office.appVersion },
        onStatus: (status) => {
          if (!status.updateRequired || updateAsked) return;
          updateAsked = true;
          options.onUpdateRequired();
        },
      });
      sync.networkChanged(online);
      sync.start();
    },
    (error: unknown) => log('enrollment with the office failed; the device works on its own until it is enrolled', error),
  );

  return {
    current: () => sync,
    networkChanged: (now) => {
      online = now;
      sync?.networkChanged(now);
    },
    resumed: () => sync?.resumed(),
    stop: async () => {
      stopped = true;
      sync?.stop();
      await sync?.whenIdle();
    },
  };
}
