import { fork } from 'node:child_process';
import type { CorePort } from './channel.js';
import type { CoreProcessHandle } from './relay.js';
import { serveCore } from './server.js';

/**
 * The core process under plain Node: a child_process speaking the same channel as the app's
 * utilityProcess, over the fork IPC channel instead of a MessagePort. Advanced serialization
 * carries what structured clone carries (the secrets are Uint8Arrays).
 */
export interface NodeCoreProcess extends CoreProcessHandle {
  pid: number;
}

export function launchNodeCore(script: string, options: { execArgv?: string[]; stdio?: 'inherit' | 'ignore' } = {}): NodeCoreProcess {
  const output = options.stdio ?? 'inherit';
  const child = fork(script, [], { execArgv: options.execArgv ?? [], serialization: 'advanced', stdio: ['ignore', output, output, 'ipc'] });
  // A message sent as the child dies fails through its exit, not as an unhandled error.
  child.on('error', () => undefined);
  return {
    pid: child.pid!,
    port: {
      post: (message) => {
        if (child.connected) child.send(message as object);
      },
      onMessage: (listener) => child.on('message', listener),
    },
    onExit: (listener) => child.once('exit', (code, signal) => listener(signal ? `signal ${signal}` : `exit code ${code}`)),
    kill: () => child.kill('SIGKILL'),
  };
}

/** The child's side: serves the core on the fork IPC channel, and closes it if the parent goes away. */
export function serveCoreOverForkChannel(): void {
  const port: CorePort = {
    post: (message) => {
      if (process.connected) process.send?.(message);
    },
    onMessage: (listener) => process.on('message', listener),
  };
  const stop = serveCore(port, { exit: (code) => process.exit(code) });
  process.once('disconnect', stop);
}
