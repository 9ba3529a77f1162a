import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { endChild, forkChild, RpcChild } from '../../test/support/child-rpc.js';
import type { WorkerRequest } from './messages.js';

/**
 * The benchmark's own child processes besides the office: device workers and the plain HTTP
 * server. All run TypeScript through tsx's loader in a single node process each (so /proc reads
 * the process doing the work), and all are killed if the benchmark exits without stopping them.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
// WAYPOST_BENCH_DEVICE_PROFILE=dir: every child writes a V8 CPU profile there as it exits.
const PROFILE_DIR = process.env.WAYPOST_BENCH_DEVICE_PROFILE;
const TSX = [...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), '--import', 'tsx'];

/** One device worker process (device-worker.ts), answering requests one id at a time. */
export class DeviceWorker extends RpcChild<WorkerRequest> {
  constructor() {
    super(join(HERE, 'device-worker.ts'), { execArgv: TSX, label: 'device worker' });
  }
}

/** The plain HTTP server of the wire baseline (plain-http-server.ts). */
export async function startPlainServer(): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const child = forkChild(join(HERE, 'plain-http-server.ts'), { execArgv: TSX });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the plain HTTP server did not start within 30 s')), 30_000);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => reject(new Error(`the plain HTTP server exited (${code})`)));
  });
  return { port, pid: child.pid!, stop: () => endChild(child, 5_000) };
}
