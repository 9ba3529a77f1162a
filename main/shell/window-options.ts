import type { DeviceKind } from '../../protocol/wire.js';

/**
 * The one window's options. Its page is untrusted as far as the main process goes: isolated from
 * the preload, sandboxed, no Node, web security on, no webviews; it reaches the core only through
 * the preload's `window.waypost.invoke`. Returned as plain data so a test reads every switch
 * (main.ts hands it to BrowserWindow, whose type it must fit). It does not import electron.
 */
export interface WindowOptionsInput {
  preload: string;
  /** Packaged builds have no devtools. */
  devTools: boolean;
  /**
   * A gate kiosk shows the app alone, full screen, with no window frame to close, move or shrink
   * (Electron's kiosk mode); a cab laptop gets an ordinary window.
   */
  kind: DeviceKind;
}

/**
 * Whether the window may close now. A gate kiosk's window refuses (Alt+F4, the taskbar) until a
 * supervisor closed the app from it, or the machine is shutting down (refusing would hold Windows
 * up); a cab laptop's closes like any window.
 */
export function windowMayClose(kind: DeviceKind, closing: { bySupervisor: boolean; machineShuttingDown: boolean }): boolean {
  return kind !== 'kiosk' || closing.bySupervisor || closing.machineShuttingDown;
}

export function windowOptions({ preload, devTools, kind }: WindowOptionsInput) {
  const kiosk = kind === 'kiosk';
  return {
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 700,
    kiosk,
    fullscreen: kiosk,
    frame: !kiosk,
    resizable: !kiosk,
    movable: !kiosk,
    minimizable: !kiosk,
    autoHideMenuBar: true,
    show: false,
    backgroundColor: '#eef1f5',
    title: 'Waypost',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools,
    },
  };
}
