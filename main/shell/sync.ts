import { app, net, powerMonitor } from 'electron';

/**
 * The sync triggers only Electron knows about: the network coming and going, the machine waking,
 * the window coming to the front. Sync itself runs in the core process (core-process/office-sync.ts);
 * these only tell it, through the relay.
 */
export interface SyncTriggerTarget {
  networkChanged(online: boolean): void;
  resumed(): void;
}

/** Electron has no network-change event in the main process; asking this often notices within seconds. */
const NETWORK_CHECK_MS = 5_000;
/** Bringing the window forward syncs, but flicking between windows does not sync each time. */
const FOREGROUND_SYNC_GAP_MS = 60_000;

/** Starts watching; the returned function stops. */
export function watchSyncTriggers(target: SyncTriggerTarget): () => void {
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
  powerMonitor.on('resume', resumed);
  app.on('browser-window-focus', foreground);
  return () => {
    clearInterval(networkCheck);
    powerMonitor.off('resume', resumed);
    app.off('browser-window-focus', foreground);
  };
}
