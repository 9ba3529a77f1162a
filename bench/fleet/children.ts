import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerAnswer, WorkerRequest } from './messages.js';

/**
 * The benchmark's own child processes besides the office: device workers and the plain HTTP
 * server. All run TypeScript through tsx's loader in a single node process each (so /proc reads
 * the process doing the work), and all are killed if the benchmark exits without stopping them.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function forkTs(file: string): ChildProcess {
  // WAYPOST_BENCH_DEVICE_PROFILE=dir: every child writes a V8 CPU profile there as it exits.
  const profileDir = process.env.WAYPOST_BENCH_DEVICE_PROFILE;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = fork(join(HERE, file), [], { execArgv: [...profile, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills the child if it has not exited `graceMs` after its IPC channel was closed. */
async function end(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** One device worker process (device-worker.ts), answering requests one id at a time. */
export class DeviceWorker {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  #nextId = 1;

  constructor() {
    this.#child = forkTs('device-worker.ts');
    this.#child.on('message', (answer: WorkerAnswer) => {
      const waiting = this.#waiting.get(answer.id);
      if (!waiting) return;
      this.#waiting.delete(answer.id);
      clearTimeout(waiting.timer);
      if (answer.ok) waiting.resolve(answer.value);
      else waiting.reject(new Error(`device worker ${this.pid}: ${answer.error}`));
    });
    this.#child.once('exit', (code, signal) => {
      for (const waiting of this.#waiting.values()) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error(`device worker ${this.pid} exited (${code ?? signal}) before answering`));
      }
      this.#waiting.clear();
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  call<T>(request: WorkerRequest, timeoutMs: number): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`device worker ${this.pid} did not answer ${request.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.#child.send({ id, request });
    });
  }

  /** Closes the channel (the worker closes its databases and exits), killing it after `graceMs`. */
  end(graceMs = 10_000): Promise<void> {
    return end(this.#child, graceMs);
  }
}

/** The plain HTTP server of the wire baseline (plain-http-server.ts). */
export async function startPlainServer(): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const child = forkTs('plain-http-server.ts');
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the plain HTTP server did not start within 30 s')), 30_000);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => reject(new Error(`the plain HTTP server exited (${code})`)));
  });
  return { port, pid: child.pid!, stop: () => end(child, 5_000) };
}
