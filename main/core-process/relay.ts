import type { IpcResult } from '../ipc/contract.js';
import type { IpcHandler } from '../ipc/handlers.js';
import { CORE_RESTARTING, type CorePort, type CoreSecrets, type CoreStartConfig, coreUnavailable, type FromCore, type ToCore } from './channel.js';
import { CRASH_WINDOW_MS, restartDelayMs } from './restart-policy.js';

/**
 * The main process's side of the core process: it starts the process, hands it its secrets, relays
 * each renderer call and answers it with the core's result. The main process never opens the
 * database. When the core process dies, every call it had not answered is answered "restarting",
 * the death is logged, and a new process is started on the same files (restart-policy.ts says when);
 * calls made meanwhile are answered "restarting" at once, so the screen says so instead of hanging.
 */
export interface CoreProcessHandle {
  port: CorePort;
  /** Called once, when the process is gone, with how it ended ("signal SIGKILL", "exit code 3"). */
  onExit(listener: (how: string) => void): void;
  kill(): void;
}

export interface CoreRelayOptions {
  /** Starts one core process (utilityProcess.fork in the app, child_process.fork under Node). */
  launch(): CoreProcessHandle;
  /** What each start hands over: read again at every start (the network state moves). */
  startWith(): { config: CoreStartConfig; secrets: CoreSecrets };
  log(message: string, error?: unknown): void;
  /** The core cannot open its data: it is not started again. */
  onFailed(message: string): void;
  onUpdateRequired?(): void;
  /** A supervisor closed the app (on a kiosk the only way out). */
  onCloseAuthorized?(): void;
  /** Time and timers (injectable so restart delays need no waiting in tests). */
  now?(): number;
  setTimer?(run: () => void, ms: number): unknown;
  /** How long a stopping core gets to close its database before it is killed. */
  stopGraceMs?: number;
}

type State = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

const DEFAULT_STOP_GRACE_MS = 10_000;

export class CoreRelay {
  readonly #options: CoreRelayOptions;
  readonly #now: () => number;
  readonly #setTimer: (run: () => void, ms: number) => unknown;
  /** Calls sent to the current process and not answered yet. */
  readonly #inFlight = new Map<number, (result: IpcResult) => void>();
  /** Calls made before the first start finished: they wait for it rather than fail. */
  #queued: { method: unknown; input: unknown; answer: (result: IpcResult) => void }[] = [];
  #crashTimes: number[] = [];
  readonly #readyListeners = new Set<() => void>();
  #state: State = 'starting';
  #process: CoreProcessHandle | null = null;
  #nextId = 1;
  #starts = 0;
  #failure: string | null = null;
  #exited: Promise<void> = Promise.resolve();

  constructor(options: CoreRelayOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.#launch();
  }

  /** The renderer's calls: same signature as the in-process handler, so it is a drop-in for it. */
  readonly invoke: IpcHandler = (method, input) =>
    new Promise<IpcResult>((answer) => {
      switch (this.#state) {
        case 'ready':
          return this.#send(method, input, answer);
        case 'starting':
          if (this.#starts === 1) return this.#queued.push({ method, input, answer });
          return answer(CORE_RESTARTING);
        case 'restarting':
          return answer(CORE_RESTARTING);
        case 'failed':
          return answer(coreUnavailable(this.#failure ?? 'it could not be opened'));
        case 'stopped':
          return answer(coreUnavailable('the app is closing'));
      }
    });

  /** How many core processes were started (1 until the first one dies). */
  get starts(): number {
    return this.#starts;
  }

  get state(): State {
    return this.#state;
  }

  /** Resolves once a core process is ready to answer (now, when one is). */
  whenReady(): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.#readyListeners.add(resolve));
  }

  networkChanged(online: boolean): void {
    this.#post({ type: 'network', online });
  }

  resumed(): void {
    this.#post({ type: 'resumed' });
  }

  screenLocked(): void {
    this.#post({ type: 'screen-locked' });
  }

  /** Asks the core to close its database and exit; kills it if it has not within the grace time. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return this.#exited;
    const running = this.#process;
    this.#state = 'stopped';
    this.#answerAll(coreUnavailable('the app is closing'));
    if (!running) return;
    this.#post({ type: 'stop' }, running);
    const timer = setTimeout(() => running.kill(), this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  #launch(): void {
    this.#starts += 1;
    const running = this.#options.launch();
    this.#process = running;
    this.#exited = new Promise((resolve) => running.onExit((how) => {
      this.#onExit(running, how);
      resolve();
    }));
    running.port.onMessage((message) => this.#receive(running, message as FromCore));
    const { config, secrets } = this.#options.startWith();
    this.#post({ type: 'start', config, secrets }, running);
  }

  #receive(from: CoreProcessHandle, message: FromCore): void {
    if (from !== this.#process) return;
    switch (message.type) {
      case 'ready': {
        if (this.#state !== 'starting') return;
        this.#state = 'ready';
        const queued = this.#queued;
        this.#queued = [];
        for (const call of queued) this.#send(call.method, call.input, call.answer);
        for (const listener of this.#readyListeners) listener();
        this.#readyListeners.clear();
        return;
      }
      case 'failed':
        this.#failure = message.message;
        this.#state = 'failed';
        this.#answerAll(coreUnavailable(message.message));
        this.#post({ type: 'stop' }, from);
        this.#options.onFailed(message.message);
        return;
      case 'answer': {
        const answer = this.#inFlight.get(message.id);
        this.#inFlight.delete(message.id);
        answer?.(message.result);
        return;
      }
      case 'update-required':
        this.#options.onUpdateRequired?.();
        return;
      case 'close-authorized':
        this.#options.onCloseAuthorized?.();
        return;
    }
  }

  #onExit(which: CoreProcessHandle, how: string): void {
    if (which !== this.#process) return;
    this.#process = null;
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    const now = this.#now();
    this.#crashTimes = [...this.#crashTimes.filter((at) => at > now - CRASH_WINDOW_MS), now];
    const delay = restartDelayMs(this.#crashTimes, now);
    this.#options.log(`the Waypost core process stopped unexpectedly (${how}); starting it again${delay > 0 ? ` in ${delay} ms` : ''}`);
    this.#state = 'restarting';
    this.#answerAll(CORE_RESTARTING);
    this.#setTimer(() => {
      if (this.#state !== 'restarting') return;
      this.#state = 'starting';
      this.#launch();
    }, delay);
  }

  #send(method: unknown, input: unknown, answer: (result: IpcResult) => void): void {
    const id = this.#nextId++;
    this.#inFlight.set(id, answer);
    this.#post({ type: 'call', id, method, input });
  }

  #post(message: ToCore, to: CoreProcessHandle | null = this.#state === 'ready' ? this.#process : null): void {
    if (!to) return;
    try {
      to.port.post(message);
    } catch (error) {
      // The process is going: its exit answers what was in flight.
      this.#options.log('the core process could not be reached', error);
    }
  }

  #answerAll(result: IpcResult): void {
    const waiting = [...this.#inFlight.values(), ...this.#queued.map((call) => call.answer)];
    this.#inFlight.clear();
    this.#queued = [];
    for (const answer of waiting) answer(result);
  }
}
