import { app } from 'electron';
import electronUpdater from 'electron-updater';
import { UpdateGate } from './update-gate.js';

/**
 * Updates come from the office (WAYPOST_UPDATE_URL, e.g. https://office.example.com/updates/desktop:
 * the office serves electron-builder's latest.yml and installer there, with the rollout share an
 * administrator set in the console). When to check and install is the gate's (update-gate.ts).
 */
export interface ShellUpdater {
  /** The office answered "update required": fetch the update now and restart into it. */
  updateRequired(): void;
}

export function startUpdater(feedUrl: string | undefined, log: (message: string, error?: unknown) => void, syncInFlight: () => Promise<boolean>): ShellUpdater {
  if (!feedUrl || !app.isPackaged) {
    return { updateRequired: () => log(`update required, but there is no update feed to fetch it from (${feedUrl ? 'not a packaged app' : 'WAYPOST_UPDATE_URL is not set'})`) };
  }
  const { autoUpdater } = electronUpdater;
  autoUpdater.setFeedURL({ provider: 'generic', url: feedUrl });
  autoUpdater.autoInstallOnAppQuit = true;
  const gate = new UpdateGate({
    check: async () => {
      await autoUpdater.checkForUpdates();
    },
    install: () => autoUpdater.quitAndInstall(),
    syncInFlight,
    setTimer: (run, ms) => setTimeout(run, ms).unref(),
    log,
  });
  const staged = autoUpdater.isUserWithinRollout;
  autoUpdater.isUserWithinRollout = async (info) => gate.withinRollout(await staged(info));
  autoUpdater.on('update-downloaded', () => gate.downloaded());
  gate.start();
  return { updateRequired: () => gate.required() };
}
