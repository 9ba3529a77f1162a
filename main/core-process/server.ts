import { join } from 'node:path';
import { DeviceCore } from '../core/device-core.js';
import { createIpcHandler, type IpcHandler } from '../ipc/handlers.js';
import { type CorePort, type CoreStartConfig, type FromCore, HandedKeyStore, type ToCore } from './channel.js';
import { type OfficeSync, startOfficeSync } from './office-sync.js';

/**
 * The core process's side of the channel: opens the device core with the secrets it is handed,
 * answers each call with the same IPC handler the dev host uses, runs sync and the idle lock, and
 * closes the database before it exits when asked to stop.
 */
export interface CoreServerOptions {
  /** Ends the process, once the core is closed. */
  exit(code: number): void;
  log?(message: string, error?: unknown): void;
}

const IDLE_CHECK_MS = 15_000;

interface Running {
  core: DeviceCore;
  handle: IpcHandler;
  sync: OfficeSync;
  idleCheck: NodeJS.Timeout;
}

/** Serves the port; the returned function stops the core as a 'stop' message would (the parent went away). */
export function serveCore(port: CorePort, options: CoreServerOptions): () => void {
  const log = options.log ?? ((message, error) => (error === undefined ? console.warn(message) : console.error(message, error)));
  const post = (message: FromCore) => port.post(message);
  let running: Running | null = null;
  let stopping = false;

  const start = (config: CoreStartConfig, keyStore: HandedKeyStore) => {
    let core: DeviceCore;
    try {
      core = DeviceCore.open({ path: join(config.dataDir, 'device.db'), keyStore, migrationsFolder: config.migrationsFolder });
    } catch (error) {
      // Never start over an unreadable database: say what is wrong, leave the files alone, and wait to be stopped.
      post({ type: 'failed', message: (error as Error).message });
      return;
    }
    const sync = startOfficeSync(core, { office: config.office, online: config.online, onUpdateRequired: () => post({ type: 'update-required' }), log });
    const idleCheck = setInterval(() => {
      try {
        core.sessions.lockIfIdle();
      } catch (error) {
        log('idle lock failed', error);
      }
    }, IDLE_CHECK_MS);
    const handle = createIpcHandler(core, {
      unenrolledSiteId: config.unenrolledSiteId,
      sync: () => sync.current(),
      logError: log,
      onCloseApp: () => post({ type: 'close-authorized' }),
    });
    running = { core, handle, sync, idleCheck };
    post({ type: 'ready' });
  };

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const current = running;
    running = null;
    if (current) {
      clearInterval(current.idleCheck);
      await current.sync.stop();
      current.core.close();
    }
    options.exit(0);
  };

  const stopNow = () =>
    void stop().catch((error: unknown) => {
      log('the core did not close cleanly', error);
      options.exit(1);
    });

  port.onMessage((raw) => {
    const message = raw as ToCore;
    switch (message.type) {
      case 'start':
        if (!running && !stopping) start(message.config, new HandedKeyStore(message.secrets));
        return;
      case 'call': {
        const current = running;
        if (!current) return;
        void current.handle(message.method, message.input).then((result) => post({ type: 'answer', id: message.id, result }));
        return;
      }
      case 'network':
        running?.sync.networkChanged(message.online);
        return;
      case 'resumed':
        running?.sync.resumed();
        return;
      case 'screen-locked':
        try {
          running?.core.sessions.end('idle-lock');
        } catch (error) {
          log('the lock on the screen could not close the session', error);
        }
        return;
      case 'stop':
        stopNow();
        return;
    }
  });
  return stopNow;
}
