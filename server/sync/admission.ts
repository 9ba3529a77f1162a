import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { PUSH_TIMEOUT } from '../../protocol/wire.js';
import type { Clock } from '../../protocol/runtime.js';
import { type ApiFailure, unavailable } from '../errors.js';

/**
 * How much sync work one office instance takes on at once. Past it a device is told to come back
 * (503 with Retry-After) instead of queueing behind the others until it gives up: a push it gave up
 * on would still be committed, then sent again, and the queue would only grow.
 */
export interface AdmissionSettings {
  /** Sync requests served at once. */
  maxInFlight: number;
  /** Requests that may wait for a turn; one more is answered busy at once. */
  maxQueued: number;
  /** The longest a request waits for its turn before it is answered busy. */
  maxWaitMs: number;
}

/**
 * A wait for a turn is kept well within the shortest time a device waits for any sync answer, so the
 * request is still served in time once its turn comes.
 */
export const MAX_ADMISSION_WAIT_MS = PUSH_TIMEOUT.baseMs / 4;

/**
 * Serving a push or pull takes a pooled database connection most of the time: by default as many
 * at once as the pool holds less two (for the console, enrollment and readiness). Up to eight per
 * turn may wait, for at most the longest wait, since a device turned away has to send its whole
 * batch again.
 */
export function defaultAdmission(poolSize: number, maxInFlight = Math.max(1, poolSize - 2)): AdmissionSettings {
  return { maxInFlight, maxQueued: maxInFlight * 8, maxWaitMs: MAX_ADMISSION_WAIT_MS };
}

export interface AdmissionTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: AdmissionTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What a turn is taken to last before any has been measured. */
const FIRST_TURN_ESTIMATE_MS = 200;
/** A device turned away comes back no sooner than this, nor later. */
const RETRY_AFTER_BOUNDS_S = { min: 1, max: 30 };

/**
 * Turns for sync work, first come first served, within `AdmissionSettings`. It keeps a running
 * average of how long a turn lasts, to tell each device it turns away when to come back: the first
 * one when the turns waited for now will likely be over, each one after a turn's share later, so
 * the devices return at the pace the office serves them rather than all at once (a fixed or equal
 * wait brought them back together to a queue too short for them, then left the office idle).
 */
export class SyncAdmission {
  readonly #settings: AdmissionSettings;
  readonly #timers: AdmissionTimers;
  readonly #clock: Clock;
  readonly #queue: { admit(): void }[] = [];
  #inFlight = 0;
  #turnMs = FIRST_TURN_ESTIMATE_MS;
  /** When the last device turned away was told to come back. */
  #lastReturnAt = -Infinity;

  constructor(settings: AdmissionSettings, timers: AdmissionTimers = systemTimers, clock: Clock = performance) {
    this.#settings = settings;
    this.#timers = timers;
    this.#clock = clock;
  }

  /** Requests being served now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests waiting for their turn. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** How long a turn lasts lately (an exponentially weighted average), in ms. */
  get turnMs(): number {
    return this.#turnMs;
  }

  /**
   * Runs `work` in its turn. Throws a 503 `unavailable` without running it when too many wait
   * already, when no turn comes within the longest wait, or when `abandoned` fires first (the device
   * hung up: nobody would hear the answer).
   */
  async run<T>(work: () => Promise<T>, abandoned?: AbortSignal): Promise<T> {
    await this.#enter(abandoned);
    const startedAt = this.#clock.now();
    try {
      if (abandoned?.aborted) throw unavailable('the device stopped waiting for its answer; nothing was done');
      return await work();
    } finally {
      this.#turnMs += (this.#clock.now() - startedAt - this.#turnMs) / 5;
      this.#leave();
    }
  }

  /** How long until the turns taken and waited for now are likely over. */
  #clearsInMs(ahead: number): number {
    return (ahead * this.#turnMs) / this.#settings.maxInFlight;
  }

  #busy(): ApiFailure {
    const now = this.#clock.now();
    const turnsWaitedFor = now + this.#clearsInMs(this.#queue.length + 1);
    const next = Math.max(turnsWaitedFor, this.#lastReturnAt + this.#turnMs / this.#settings.maxInFlight);
    this.#lastReturnAt = Math.min(next, now + RETRY_AFTER_BOUNDS_S.max * 1000);
    const retryAfter = Math.min(RETRY_AFTER_BOUNDS_S.max, Math.max(RETRY_AFTER_BOUNDS_S.min, Math.ceil((this.#lastReturnAt - now) / 1000)));
    return unavailable(`the office is busy with other devices' syncs; try again in ${retryAfter} s`, {}, retryAfter);
  }

  #enter(abandoned: AbortSignal | undefined): Promise<void> {
    const { maxInFlight, maxQueued, maxWaitMs } = this.#settings;
    if (this.#inFlight < maxInFlight && this.#queue.length === 0) {
      this.#inFlight++;
      return Promise.resolve();
    }
    if (this.#queue.length >= maxQueued || maxWaitMs === 0) return Promise.reject(this.#busy());
    return new Promise((resolve, reject) => {
      const give = (outcome: () => void) => {
        this.#timers.clearTimeout(timer);
        abandoned?.removeEventListener('abort', onAbandoned);
        outcome();
      };
      const leaveQueue = () => this.#queue.splice(this.#queue.indexOf(waiter), 1);
      const waiter = { admit: () => give(resolve) };
      const onAbandoned = () => {
        leaveQueue();
        give(() => reject(unavailable('the device stopped waiting for its turn; nothing was done')));
      };
      const timer = this.#timers.setTimeout(() => {
        leaveQueue();
        give(() => reject(this.#busy()));
      }, maxWaitMs);
      abandoned?.addEventListener('abort', onAbandoned, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** The turn passes straight to the first in the queue, so a newcomer cannot take it first. */
  #leave(): void {
    const next = this.#queue.shift();
    if (next) next.admit();
    else this.#inFlight--;
  }
}

/**
 * Every route `paths` names (registered after this call) runs its handler in a turn of
 * `admission`; a request whose connection closes before its answer is abandoned.
 */
export function admitSyncWork(app: FastifyInstance, admission: SyncAdmission, paths: readonly string[]): void {
  app.addHook('onRoute', (route) => {
    if (!paths.includes(route.url ?? '')) return;
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function admitted(request, reply) {
      const hungUp = new AbortController();
      const response = reply.raw;
      response.once('close', () => {
        if (!response.writableFinished) hungUp.abort();
      });
      return admission.run(async () => handler.call(this, request, reply), hungUp.signal);
    };
  });
}
