import { app } from 'electron';
import electronUpdater from 'electron-updater';

/**
 * Updates come from the office (WAYPOST_UPDATE_URL: a generic electron-builder feed, latest.yml and
 * the installer). A new version is fetched quietly and installed on quit; once the office refuses
 * this version (update required), the app cannot sync, so the downloaded update installs at once.
 */
export interface ShellUpdater {
  /** The office answered "update required": fetch the update now and restart into it. */
  updateRequired(): void;
}

export function startUpdater(feedUrl: string | undefined, log: (message: string, error?: unknown) => void): ShellUpdater {
  if (!feedUrl || !app.isPackaged) {
    return { updateRequired: () => log(`update required, but there is no update feed to fetch it from (${feedUrl ? 'not a packaged app' : 'WAYPOST_UPDATE_URL is not set'})`) };
  }
  const { autoUpdater } = electronUpdater;
  autoUpdater.setFeedURL({ provider: 'generic', url: feedUrl });
  autoUpdater.autoInstallOnAppQuit = true;
  let forced = false;
  let downloaded = false;
  // Every action is already committed: quitting closes the session with a signed entry.
  const install = () => autoUpdater.quitAndInstall();
  autoUpdater.on('update-downloaded', () => {
    downloaded = true;
    if (forced) install();
  });
  const check = () => autoUpdater.checkForUpdatesAndNotify().catch((error: unknown) => log('update check failed', error));
  void check();
  return {
    updateRequired: () => {
      forced = true;
      if (downloaded) install();
      else void check();
    },
  };
}
