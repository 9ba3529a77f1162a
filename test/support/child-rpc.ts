import { type ChildProcess, fork } from 'node:child_process';

/**
 * Child processes driven over the fork IPC channel, for the benchmarks' device workers and the
 * process tests' device cores: each request carries an id and is answered once, with a value or
 * an error. Every child started here is killed if the parent exits without ending it.
 */
export type RpcAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface ForkOptions {
  /** Node's own arguments: `--import tsx` for TypeScript, none for a bundle. */
  execArgv?: string[];
  args?: string[];
  /** The child's standard output and error (inherited by default). */
  stdio?: 'inherit' | 'ignore';
}

/** Forks `file` with an IPC channel, remembered so the parent's exit takes it along. */
export function forkChild(file: string, options: ForkOptions = {}): ChildProcess {
  const output = options.stdio ?? 'inherit';
  const child = fork(file, options.args ?? [], { execArgv: options.execArgv ?? [], stdio: ['ignore', output, output, 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Closes the child's IPC channel and kills it if it has not exited `graceMs` later. */
export async function endChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The parent's side: requests of type `Request`, each answered by the child or failed by its exit. */
export class RpcChild<Request extends { type: string }> {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #nextId = 1;

  constructor(
    file: string,
    options: ForkOptions & {
      /** Names the child in errors ("device worker 1234"). */
      label: string;
    },
  ) {
    this.#child = forkChild(file, options);
    const label = `${options.label} ${this.#child.pid}`;
    this.#child.on('message', (answer: RpcAnswer) => {
      const waiting = this.#waiting.get(answer.id);
      if (!waiting) return;
      this.#waiting.delete(answer.id);
      clearTimeout(waiting.timer);
      if (answer.ok) waiting.resolve(answer.value);
      else waiting.reject(new Error(`${label}: ${answer.error}`));
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        for (const waiting of this.#waiting.values()) {
          clearTimeout(waiting.timer);
          waiting.reject(new Error(`${label} exited (${code ?? signal}) before answering`));
        }
        this.#waiting.clear();
        resolve({ code, signal });
      });
    });
    // A request sent as the child dies fails through its exit, not as an unhandled error here.
    this.#child.on('error', () => {});
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.#exited;
  }

  call<T>(request: Request, timeoutMs: number): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      if (hasExited(this.#child) || !this.#child.connected) {
        reject(new Error(`child ${this.pid} is gone; ${request.type} not sent`));
        return;
      }
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`child ${this.pid} did not answer ${request.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.#child.send({ id, request });
    });
  }

  /** Closes the channel (the child closes what it holds and exits), killing it after `graceMs`. */
  end(graceMs = 10_000): Promise<void> {
    return endChild(this.#child, graceMs);
  }

  /** SIGKILL: nothing of the child's runs after it. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (!hasExited(this.#child)) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}

/** The child's side: answers each request with what `handle` returns or throws. */
export function serveRpc<Request>(handle: (request: Request) => unknown): void {
  process.on('message', (message: { id: number; request: Request }) => {
    void Promise.resolve()
      .then(() => handle(message.request))
      .then(
        (value) => process.send?.({ id: message.id, ok: true, value } satisfies RpcAnswer),
        (error: unknown) => process.send?.({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies RpcAnswer),
      );
  });
}
