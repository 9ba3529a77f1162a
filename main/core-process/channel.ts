import type { DeviceKind } from '../../protocol/wire.js';
import type { KeyStore } from '../core/ports.js';
import type { IpcResult } from '../ipc/contract.js';

/**
 * The device core runs in a process of its own (a utilityProcess in the app, a child_process under
 * plain Node) so a durable commit, a PIN check or a compaction never blocks the window. This is what
 * crosses between that process and the one that started it: one transport-free message protocol
 * over a port, carried by a MessagePortMain in the app and by the fork IPC channel under Node.
 */
export interface CorePort {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** Where the core finds its data, and how it reaches its office. */
export interface CoreStartConfig {
  /** The folder of the device database (device.db) and its attachments. */
  dataDir: string;
  migrationsFolder: string;
  /** The site stamped on records until the office enrolls the device. */
  unenrolledSiteId: string;
  /** Null: the device works on its own and does not sync. */
  office: CoreOfficeConfig | null;
  /** Whether the machine is online as the core starts (later changes come as 'network' messages). */
  online: boolean;
}

export interface CoreOfficeConfig {
  url: string;
  /** Needed on the first start only, to enroll. */
  enrollmentToken: string | null;
  kind: DeviceKind;
  label: string;
  /** The app build, told to the office with each pull (its fleet page shows it). */
  appVersion: string;
}

/**
 * The device's long-lived secrets, unsealed by the main process (only it has the OS keystore) and
 * handed over the port at each start: never on the command line, in the environment or on disk.
 */
export interface CoreSecrets {
  deviceSeed: Uint8Array;
  databaseKey: Uint8Array;
  pinPepper: Uint8Array;
}

export type ToCore =
  | { type: 'start'; config: CoreStartConfig; secrets: CoreSecrets }
  | { type: 'call'; id: number; method: unknown; input: unknown }
  | { type: 'network'; online: boolean }
  | { type: 'resumed' }
  /** The machine's screen locked or it is going to sleep: whoever is signed in is signed out, as an idle lock would. */
  | { type: 'screen-locked' }
  | { type: 'stop' };

export type FromCore =
  | { type: 'ready' }
  /** The core cannot open its data (wrong key, damaged file): starting again would not help; it waits for 'stop'. */
  | { type: 'failed'; message: string }
  | { type: 'answer'; id: number; result: IpcResult }
  | { type: 'update-required' }
  /** A supervisor closed the app from a kiosk (app.close): the shell lets the window go and quits. */
  | { type: 'close-authorized' };

/** What a call gets while the core process is being started again after it stopped unexpectedly. */
export const CORE_RESTARTING: IpcResult<never> = {
  ok: false,
  error: {
    code: 'core-restarting',
    message: 'Waypost is restarting its data service after a problem. Everything saved is kept; try again in a moment',
  },
};

/** What a call gets once the core cannot run at all (its data cannot be opened, or the app is quitting). */
export function coreUnavailable(why: string): IpcResult<never> {
  return { ok: false, error: { code: 'core-unavailable', message: `Waypost cannot reach its data: ${why}` } };
}

/** The key store of a core process: the secrets it was handed, nothing created or written. */
export class HandedKeyStore implements KeyStore {
  constructor(private readonly secrets: CoreSecrets) {}

  deviceSeed(): Uint8Array {
    return this.secrets.deviceSeed;
  }

  databaseKey(): Uint8Array {
    return this.secrets.databaseKey;
  }

  pinPepper(): Uint8Array {
    return this.secrets.pinPepper;
  }
}

/** The shape both Electron's MessagePortMain and a DOM MessagePort have, without importing electron. */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  start(): void;
}

export function messagePortAsCorePort(port: MessagePortLike): CorePort {
  return {
    post: (message) => port.postMessage(message),
    onMessage: (listener) => {
      port.on('message', (event) => listener(event.data));
      port.start();
    },
  };
}
