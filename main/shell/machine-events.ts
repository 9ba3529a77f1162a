import { app, net, powerMonitor } from 'electron';

/**
 * What only Electron knows of the machine: the network coming and going, the machine waking, the
 * window coming to the front (sync triggers), and the screen locking or the machine going to sleep
 * (the operator walked away: the session locks at once rather than after the idle time). Sync and
 * sessions run in the core process (core-process/office-sync.ts); these only tell it, through the relay.
 */
export interface MachineEventTarget {
  networkChanged(online: boolean): void;
  resumed(): void;
  screenLocked(): void;
}

/** Electron has no network-change event in the main process; asking this often notices within seconds. */
const NETWORK_CHECK_MS = 5_000;
/** Bringing the window forward syncs, but flicking between windows does not sync each time. */
const FOREGROUND_SYNC_GAP_MS = 60_000;

/** Starts watching; the returned function stops. */
export function watchMachineEvents(target: MachineEventTarget): () => void {
  let online = net.isOnline();
  const networkCheck = setInterval(() => {
    const now = net.isOnline();
    if (now === online) return;
    online = now;
    target.networkChanged(now);
  }, NETWORK_CHECK_MS);
  let lastForegroundSync = 0;
  const resumed = () => target.resumed();
  const foreground = () => {
    if (Date.now() - lastForegroundSync < FOREGROUND_SYNC_GAP_MS) return;
    lastForegroundSync = Date.now();
    target.resumed();
  };
  const locked = () => target.screenLocked();
  powerMonitor.on('resume', resumed);
  powerMonitor.on('unlock-screen', resumed);
  powerMonitor.on('lock-screen', locked);
  powerMonitor.on('suspend', locked);
  app.on('browser-window-focus', foreground);
  return () => {
    clearInterval(networkCheck);
    powerMonitor.off('resume', resumed);
    powerMonitor.off('unlock-screen', resumed);
    powerMonitor.off('lock-screen', locked);
    powerMonitor.off('suspend', locked);
    app.off('browser-window-focus', foreground);
  };
}
