import { hostname } from 'node:os';
import { app, net, powerMonitor } from 'electron';
import { deviceKindSchema } from '../../protocol/wire.js';
import type { DeviceCore } from '../core/device-core.js';
import { systemClock, systemRandomness } from '../core/ports.js';
import { DeviceSync, enrollOnFirstStart } from '../core/sync/device-sync.js';
import { FetchTransport } from '../core/sync/transport.js';

/**
 * The shell's half of sync: which office (WAYPOST_OFFICE_URL), enrollment on the first start with
 * an administrator's token (WAYPOST_ENROLLMENT_TOKEN, WAYPOST_DEVICE_KIND), and the triggers only
 * Electron knows about: the network coming and going, the machine waking, the window coming to the
 * front. The daemon itself (interval, backoff, live notifications) lives in the core.
 */
export interface ShellSync {
  /** The running sync, once the device is enrolled. */
  current(): DeviceSync | null;
  stop(): void;
}

export interface ShellSyncOptions {
  env: Record<string, string | undefined>;
  onUpdateRequired(): void;
  log(message: string, error?: unknown): void;
}

/** Electron has no network-change event in the main process; asking this often notices within seconds. */
const NETWORK_CHECK_MS = 5_000;
/** Bringing the window forward syncs, but flicking between windows does not sync each time. */
const FOREGROUND_SYNC_GAP_MS = 60_000;

export function startShellSync(core: DeviceCore, options: ShellSyncOptions): ShellSync {
  const { env, log } = options;
  let sync: DeviceSync | null = null;
  let stopped = false;
  const officeUrl = env.WAYPOST_OFFICE_URL;
  if (!officeUrl) {
    log('WAYPOST_OFFICE_URL is not set: this device works on its own and does not sync');
    return { current: () => null, stop: () => undefined };
  }

  const transport = new FetchTransport(officeUrl);
  const kind = deviceKindSchema.safeParse(env.WAYPOST_DEVICE_KIND ?? 'cab');
  void enrollOnFirstStart(core, {
    transport,
    kind: kind.success ? kind.data : 'cab',
    label: hostname(),
    token: () => {
      if (!env.WAYPOST_ENROLLMENT_TOKEN) throw new Error('this device is not enrolled: set WAYPOST_ENROLLMENT_TOKEN to a token from the office');
      return env.WAYPOST_ENROLLMENT_TOKEN;
    },
  }).then(
    () => {
      if (stopped) return;
      let updateAsked = false;
      sync = new DeviceSync(core, {
        transport,
        clock: systemClock,
        random: systemRandomness,
        onStatus: (status) => {
          if (!status.updateRequired || updateAsked) return;
          updateAsked = true;
          options.onUpdateRequired();
        },
      });
      sync.networkChanged(net.isOnline());
      sync.start();
    },
    (error: unknown) => log('enrollment with the office failed; the device works on its own until it is enrolled', error),
  );

  let online = net.isOnline();
  const networkCheck = setInterval(() => {
    const now = net.isOnline();
    if (now === online) return;
    online = now;
    sync?.networkChanged(now);
  }, NETWORK_CHECK_MS);
  let lastForegroundSync = 0;
  const resumed = () => sync?.resumed();
  const foreground = () => {
    if (Date.now() - lastForegroundSync < FOREGROUND_SYNC_GAP_MS) return;
    lastForegroundSync = Date.now();
    sync?.resumed();
  };
  powerMonitor.on('resume', resumed);
  app.on('browser-window-focus', foreground);

  return {
    current: () => sync,
    stop: () => {
      stopped = true;
      clearInterval(networkCheck);
      powerMonitor.off('resume', resumed);
      app.off('browser-window-focus', foreground);
      sync?.stop();
    },
  };
}
