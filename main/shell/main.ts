import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  MessageChannelMain,
  net,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  utilityProcess,
  type IpcMainInvokeEvent,
} from 'electron';
import { type DeviceKind, deviceKindSchema } from '../../protocol/wire.js';
import { type CoreOfficeConfig, type CoreSecrets, messagePortAsCorePort } from '../core-process/channel.js';
import { type CoreProcessHandle, CoreRelay } from '../core-process/relay.js';
import { systemRandomness } from '../core/ports.js';
import { IPC_CHANNEL } from '../ipc/channel.js';
import type { SyncStatusView } from '../ipc/contract.js';
import { APP_INDEX_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, resolveAppRequest } from './app-protocol.js';
import { APP_RESPONSE_HEADERS } from './csp.js';
import { FORBIDDEN_SENDER, type IpcSender, senderMayCall } from './ipc-sender.js';
import { decideNavigation, decidePermission, decideWindowOpen } from './navigation.js';
import { setAsideUnreadableData, unlockFailureNotice } from './key-recovery.js';
import { SafeStorageKeyStore } from './safe-storage-keystore.js';
import { watchMachineEvents } from './machine-events.js';
import { startUpdater } from './updater.js';
import { windowMayClose, windowOptions } from './window-options.js';

/**
 * The Electron shell: one locked-down window served from app://waypost, one IPC channel relayed to
 * the device core in its own utility process, the core's keys sealed by the OS keystore. Every
 * security decision is a pure module next to this one (tested under Node); this file wires them to
 * Electron. The main process never opens the database: a commit or a PIN check cannot freeze it.
 * The bundle sits in dist/main/shell/, next to dist/preload/ and dist/renderer/ (scripts/build-app.ts).
 */
const DIST = fileURLToPath(new URL('../../', import.meta.url));
const RENDERER_DIR = join(DIST, 'renderer');
const PRELOAD = join(DIST, 'preload', 'index.cjs');
const CORE_ENTRY = fileURLToPath(new URL('./core-process.js', import.meta.url));
// Enrollment with the office assigns the site; until then records carry the install's.
const UNENROLLED_SITE_ID = process.env.WAYPOST_SITE_ID ?? 'site-unassigned';

let appWindow: BrowserWindow | null = null;
/** How the kiosk window may be let go (window-options.ts windowMayClose). */
const closing = { bySupervisor: false, machineShuttingDown: false };

/** The device's secrets, unsealed here (only the main process has safeStorage) and handed to the core at each start. */
function unsealSecrets(): CoreSecrets {
  const keyStore = new SafeStorageKeyStore(join(app.getPath('userData'), 'device-keys.sealed'), safeStorage, systemRandomness);
  return { deviceSeed: keyStore.deviceSeed(), databaseKey: keyStore.databaseKey(), pinPepper: keyStore.pinPepper() };
}

/** What this install is, from its configuration: a gate kiosk or a cab laptop (the default). */
function deviceKind(env: NodeJS.ProcessEnv): DeviceKind {
  const kind = deviceKindSchema.safeParse(env.WAYPOST_DEVICE_KIND ?? 'cab');
  return kind.success ? kind.data : 'cab';
}

function officeConfig(env: NodeJS.ProcessEnv): CoreOfficeConfig | null {
  if (!env.WAYPOST_OFFICE_URL) return null;
  return {
    url: env.WAYPOST_OFFICE_URL,
    enrollmentToken: env.WAYPOST_ENROLLMENT_TOKEN ?? null,
    kind: deviceKind(env),
    label: hostname(),
    appVersion: app.getVersion(),
  };
}

function launchCore(): CoreProcessHandle {
  const child = utilityProcess.fork(CORE_ENTRY, [], { serviceName: 'Waypost core', stdio: 'inherit' });
  const { port1, port2 } = new MessageChannelMain();
  child.postMessage(null, [port2]);
  return {
    port: messagePortAsCorePort(port1),
    onExit: (listener) => child.once('exit', (code) => listener(`exit code ${code}`)),
    kill: () => void child.kill(),
  };
}

function serveAppProtocol(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const decision = resolveAppRequest(request.url, RENDERER_DIR, request.method);
    if (!decision.ok) return new Response(decision.reason, { status: decision.status, headers: { ...APP_RESPONSE_HEADERS, 'content-type': 'text/plain; charset=utf-8' } });
    const body = request.method === 'HEAD' ? null : await readFile(decision.file);
    return new Response(body, { headers: { ...APP_RESPONSE_HEADERS, 'content-type': decision.contentType } });
  });
}

function lockDownContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => decideWindowOpen(url));
    const guard = (event: { url: string; preventDefault(): void }) => {
      if (decideNavigation(event.url) === 'deny') event.preventDefault();
    };
    contents.on('will-navigate', guard);
    contents.on('will-frame-navigate', guard);
    contents.on('will-redirect', guard);
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, decide, details) => {
    const mediaTypes = 'mediaTypes' in details ? details.mediaTypes : undefined;
    decide(decidePermission({ permission, requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame, mediaTypes }) === 'allow');
  });
  ses.setPermissionCheckHandler((_contents, permission, _origin, details) => {
    const mediaTypes = details.mediaType ? [details.mediaType] : undefined;
    return decidePermission({ permission, requestingUrl: details.requestingUrl ?? '', isMainFrame: details.isMainFrame, mediaTypes }) === 'allow';
  });
  ses.setDevicePermissionHandler(() => false);
}

function describeSender(event: IpcMainInvokeEvent): IpcSender {
  const frame = event.senderFrame;
  return {
    frameUrl: frame?.url ?? null,
    isTopFrame: frame !== null && frame.parent === null && frame === event.sender.mainFrame,
    isAppWindow: appWindow !== null && !appWindow.isDestroyed() && event.sender === appWindow.webContents,
  };
}

function createWindow(): BrowserWindow {
  const kind = deviceKind(process.env);
  const window = new BrowserWindow(windowOptions({ preload: PRELOAD, devTools: !app.isPackaged, kind }));
  // A kiosk comes back by itself after a power cut or a reboot; a development run registers nothing.
  if (app.isPackaged) app.setLoginItemSettings({ openAtLogin: kind === 'kiosk' });
  window.removeMenu();
  window.on('close', (event) => {
    if (!windowMayClose(kind, closing)) event.preventDefault();
  });
  // Windows is logging off or shutting down: a window that refused to close would hold it up.
  window.on('query-session-end', () => {
    closing.machineShuttingDown = true;
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_INDEX_URL);
  return window;
}

function fail(title: string, message: string): void {
  dialog.showErrorBox(title, message);
  app.exit(1);
}

/**
 * The device keys cannot be opened: stop, touching nothing. Where the sealed keys belong to
 * another Windows user or are damaged, the operator may set the data aside (moved, untouched, with
 * a note) and start again empty, to enroll anew; that takes a second, explicit confirmation.
 */
function cannotUnlock(error: Error): void {
  const dataDir = app.getPath('userData');
  const notice = unlockFailureNotice(error, dataDir);
  if (!notice.canSetAside) return fail(notice.title, `${notice.message}\n\n${notice.detail}`);
  const choice = dialog.showMessageBoxSync({ type: 'error', title: notice.title, message: notice.message, detail: notice.detail, buttons: ['Quit', 'Set the data aside…'], defaultId: 0, cancelId: 0 });
  const confirmed =
    choice === 1 &&
    dialog.showMessageBoxSync({
      type: 'warning',
      title: 'Set the data aside?',
      message: 'The device will start empty and must be enrolled again. The old files are kept, untouched, for your administrator.',
      buttons: ['Cancel', 'Set aside and restart'],
      defaultId: 0,
      cancelId: 0,
    }) === 1;
  if (!confirmed) return void app.exit(1);
  try {
    const { folder } = setAsideUnreadableData(dataDir, new Date());
    console.warn(`device data set aside in ${folder}`);
  } catch (moveError) {
    return fail('Waypost could not set the data aside', `${(moveError as Error).message}\n\nNothing was deleted.`);
  }
  app.relaunch();
  app.exit(0);
}

async function start(): Promise<void> {
  await app.whenReady();
  lockDownContents();
  serveAppProtocol();
  let secrets: CoreSecrets;
  try {
    secrets = unsealSecrets();
  } catch (error) {
    return cannotUnlock(error as Error);
  }
  const log = (message: string, error?: unknown) => (error === undefined ? console.warn(message) : console.error(message, error));
  const updater = startUpdater(process.env.WAYPOST_UPDATE_URL, log, async () => {
    const status = await relay.invoke('sync.status', undefined);
    return !status.ok || (status.value as SyncStatusView).syncing;
  });
  const relay = new CoreRelay({
    launch: launchCore,
    startWith: () => ({
      config: {
        dataDir: app.getPath('userData'),
        migrationsFolder: app.isPackaged ? join(process.resourcesPath, 'migrations') : join(app.getAppPath(), 'db', 'migrations'),
        unenrolledSiteId: UNENROLLED_SITE_ID,
        office: officeConfig(process.env),
        online: net.isOnline(),
      },
      secrets,
    }),
    log,
    // Never start over an unreadable database: say what is wrong and leave the files alone.
    onFailed: (message) => fail('Waypost cannot open its data', message),
    onUpdateRequired: () => updater.updateRequired(),
    onCloseAuthorized: () => {
      closing.bySupervisor = true;
      app.quit();
    },
  });
  powerMonitor.on('shutdown', () => {
    closing.machineShuttingDown = true;
  });
  const stopTriggers = watchMachineEvents(relay);
  ipcMain.handle(IPC_CHANNEL, (event, method: unknown, input: unknown) => (senderMayCall(describeSender(event)) ? relay.invoke(method, input) : FORBIDDEN_SENDER));

  app.on('window-all-closed', () => app.quit());
  let coreClosed = false;
  app.on('will-quit', (event) => {
    if (coreClosed) return;
    // Quit once the core has closed its session with a signed entry and closed the database.
    event.preventDefault();
    stopTriggers();
    void relay.stop().finally(() => {
      coreClosed = true;
      app.quit();
    });
  });
  app.on('second-instance', () => {
    if (appWindow?.isMinimized()) appWindow.restore();
    appWindow?.focus();
  });
  appWindow = createWindow();
}

// Registered before the app is ready, as Electron requires: app:// is a standard, secure origin.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);

// Two instances would share one journal: the second one hands over to the first and leaves.
if (app.requestSingleInstanceLock()) {
  void start();
} else {
  app.quit();
}
