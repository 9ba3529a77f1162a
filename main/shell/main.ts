import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session, type IpcMainInvokeEvent } from 'electron';
import { DeviceCore } from '../core/device-core.js';
import { systemRandomness } from '../core/ports.js';
import { IPC_CHANNEL } from '../ipc/channel.js';
import { createIpcHandler } from '../ipc/handlers.js';
import { SafeStorageKeyStore } from './safe-storage-keystore.js';
import { startShellSync } from './sync.js';
import { startUpdater } from './updater.js';

/**
 * The Electron shell: one locked-down window, one IPC channel into the core, the core's keys sealed
 * by the OS keystore. Everything the app does lives in the core; this file only wires it to Electron.
 * The bundle sits in dist/main/shell/, next to dist/preload/ and dist/renderer/ (scripts/build-app.ts).
 */
const DIST = fileURLToPath(new URL('../../', import.meta.url));
const RENDERER_INDEX = join(DIST, 'renderer', 'index.html');
const PRELOAD = join(DIST, 'preload', 'index.cjs');
const IDLE_CHECK_MS = 15_000;
// Enrollment with the office assigns the site; until then records carry the install's.
const UNENROLLED_SITE_ID = process.env.WAYPOST_SITE_ID ?? 'site-unassigned';

function openCore(): DeviceCore {
  const userData = app.getPath('userData');
  return DeviceCore.open({
    path: join(userData, 'device.db'),
    keyStore: new SafeStorageKeyStore(join(userData, 'device-keys.sealed'), safeStorage, systemRandomness),
    migrationsFolder: app.isPackaged ? join(process.resourcesPath, 'migrations') : join(app.getAppPath(), 'db', 'migrations'),
  });
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    backgroundColor: '#eef1f5',
    title: 'Waypost',
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  window.removeMenu();
  window.once('ready-to-show', () => window.show());
  void window.loadFile(RENDERER_INDEX);
  return window;
}

/** Only the app's own page, in its top frame, may call the core. */
function fromAppPage(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame === event.sender.mainFrame && frame.url.startsWith(pathToFileURL(RENDERER_INDEX).href);
}

function lockDownNavigation(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, decide) => decide(false));
}

async function start(): Promise<void> {
  await app.whenReady();
  lockDownNavigation();
  let core: DeviceCore;
  try {
    core = openCore();
  } catch (error) {
    // Never start over an unreadable database: say what is wrong and leave the files alone.
    dialog.showErrorBox('Waypost cannot open its data', (error as Error).message);
    app.exit(1);
    return;
  }
  const log = (message: string, error?: unknown) => (error === undefined ? console.warn(message) : console.error(message, error));
  const updater = startUpdater(process.env.WAYPOST_UPDATE_URL, log);
  const sync = startShellSync(core, { env: process.env, onUpdateRequired: () => updater.updateRequired(), log });
  const handle = createIpcHandler(core, { unenrolledSiteId: UNENROLLED_SITE_ID, sync: () => sync.current() });
  ipcMain.handle(IPC_CHANNEL, (event, method: unknown, input: unknown) =>
    fromAppPage(event) ? handle(method, input) : { ok: false, error: { code: 'forbidden', message: 'this page may not call Waypost' } },
  );
  const idleCheck = setInterval(() => {
    try {
      core.sessions.lockIfIdle();
    } catch (error) {
      console.error('idle lock failed', error);
    }
  }, IDLE_CHECK_MS);

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    clearInterval(idleCheck);
    sync.stop();
    core.close();
  });
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  createWindow();
}

// Two instances would share one journal: the second one hands over to the first and leaves.
if (app.requestSingleInstanceLock()) {
  void start();
} else {
  app.quit();
}
