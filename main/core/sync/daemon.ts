import type { Clock, Randomness } from '../ports.js';
import type { LiveHandlers, SyncClient } from './client.js';
import { SyncError, UpdateRequiredError } from './errors.js';
import type { EventStream } from './transport.js';

/** Timers, injected so a simulation can run the daemon on a fake clock. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A pending sync must not keep the process alive on quit.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface DaemonStatus {
  running: boolean;
  online: boolean;
  /** The live notification stream is connected. */
  live: boolean;
  lastSuccessAt: number | null;
  lastError: { code: string; message: string; transient: boolean; at: number } | null;
  /** Failed syncs in a row (transient errors), which set the backoff of the pending entries. */
  consecutiveFailures: number;
  nextAttemptAt: number | null;
  pending: number;
  failed: number;
  /** Set once the office refused this app's schema: sync has stopped until the app is updated. */
  updateRequired: { minimumVersion: number; currentVersion: number; requiredAppVersion?: string; message: string } | null;
}

export interface SyncDaemonOptions {
  client: Pick<SyncClient, 'sync' | 'pull' | 'listen' | 'outbox' | 'lastSuccessAt'>;
  clock: Clock;
  timers: Timers;
  random: Randomness;
  /** Time between syncs while all is well. */
  intervalMs?: number;
  /** Backoff after transient failures: doubles from `initialMs` up to `maxMs`, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Open the live notification stream (default true). */
  live?: boolean;
  onStatus?(status: DaemonStatus): void;
  /** Known faults switched on, for the simulation to prove it catches them (test seam; default none). */
  faults?: DaemonFaults;
}

export interface DaemonFaults {
  /**
   * A live pull goes through during a failure's backoff and then stands for a full sync: it
   * clears the error and puts the retry of the pending entries off by a whole interval.
   */
  liveRetryCancelled?: boolean;
}

type RunKind = 'full' | 'pull';

/**
 * A live notification pulls after a random wait of up to this long: the office tells every device
 * of a site at the same moment, and they should not all pull at that moment.
 */
export const LIVE_PULL_JITTER_MS = 250;

/** An office's Retry-After shorter than this (even 0) is read as this: a device never hammers it. */
const MIN_RETRY_AFTER_MS = 1_000;

/**
 * Decides when the device syncs: on an interval, when the network comes back, when the app
 * resumes, when the user asks, and when the office says something changed (live stream: a pull).
 * One sync runs at a time; triggers that arrive meanwhile collapse into one follow-up run.
 * Transient failures back off exponentially with jitter so a fleet of devices coming out of a
 * dead zone does not hit the office in step.
 *
 * The office tells a site's devices of every change at once, so a live notification only asks for
 * a pull a moment later (`LIVE_PULL_JITTER_MS`), and never sooner than a failure's backoff or the
 * office's Retry-After allows: those wait for the retry, which pulls too. A run that has yet to
 * start pulls after the notification anyway; notifications during a run ask for one pull after it.
 * Live pulls turned away back off on a count of their own: a busy office refusing a pull says
 * nothing new about the pending entries, whose wait it must not lengthen.
 *
 * Only a full sync sends the pending entries, so only a full sync that goes through clears the
 * error and the backoff, and only a full sync takes the place of the attempt scheduled for them.
 * A pull leaves both alone: had it done otherwise, a live notification arriving during a backoff
 * would drop the retry and hide the error while the entries waited a whole interval.
 */
export class SyncDaemon {
  readonly #client: SyncDaemonOptions['client'];
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #random: Randomness;
  readonly #intervalMs: number;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #live: boolean;
  readonly #onStatus: ((status: DaemonStatus) => void) | undefined;
  readonly #faults: DaemonFaults;

  #started = false;
  #online = true;
  #current: Promise<void> | null = null;
  /** Set from the status told as a run starts to the one told as it ends. */
  #running: RunKind | null = null;
  #queued: { kind: RunKind; run: Promise<DaemonStatus> } | null = null;
  #timer: { handle: unknown; dueAt: number } | null = null;
  #failures = 0;
  #pullFailures = 0;
  #lastError: DaemonStatus['lastError'] = null;
  #updateRequired: DaemonStatus['updateRequired'] = null;
  #stream: EventStream | null = null;
  #streamConnected = false;
  #streamFailures = 0;
  #streamTimer: unknown = null;
  /** A pull asked for by the live stream, waiting for its moment. */
  #liveTimer: unknown = null;
  /** Set by a transient failure: live notifications do not bring the office a request before it. */
  #liveNotBefore = 0;

  constructor(options: SyncDaemonOptions) {
    this.#client = options.client;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#random = options.random;
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#backoff = options.backoff ?? { initialMs: 2_000, maxMs: 5 * 60_000 };
    this.#live = options.live ?? true;
    this.#onStatus = options.onStatus;
    this.#faults = options.faults ?? {};
  }

  /** Syncs now, then keeps syncing on its triggers. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#runInBackground('full');
    this.#openStream();
  }

  /** Stops scheduling and closes the live stream; a sync already running finishes. */
  stop(): void {
    this.#started = false;
    this.#cancelTimer();
    this.#cancelLivePull();
    this.#closeStream();
  }

  /** The user pressed "sync now"; resolves with the status after that sync. */
  syncNow(): Promise<DaemonStatus> {
    return this.#request('full');
  }

  networkChanged(online: boolean): void {
    this.#online = online;
    if (!online) {
      // Nothing to try until the network is back; that event syncs at once.
      this.#cancelTimer();
      this.#cancelLivePull();
      this.#emit();
      return;
    }
    this.#failures = 0;
    this.#pullFailures = 0;
    if (this.#started) {
      this.#runInBackground('full');
      this.#openStream();
    }
  }

  /** The app came back to the foreground or the machine woke up. */
  resumed(): void {
    if (!this.#started) return;
    this.#runInBackground('full');
    this.#openStream();
  }

  /** Resolves once no sync is running or queued (tests, and a clean quit). */
  async whenIdle(): Promise<void> {
    while (this.#queued || this.#current) {
      await (this.#queued?.run ?? this.#current);
    }
  }

  status(): DaemonStatus {
    const { pending, failed } = this.#client.outbox();
    return {
      running: this.#running !== null,
      online: this.#online,
      live: this.#streamConnected,
      lastSuccessAt: this.#client.lastSuccessAt(),
      lastError: this.#lastError,
      consecutiveFailures: this.#failures,
      nextAttemptAt: this.#timer?.dueAt ?? null,
      pending,
      failed,
      updateRequired: this.#updateRequired,
    };
  }

  /**
   * A run nobody waits for (timers, triggers). Its own failures are in the status it emits; what
   * can still reject is reading that status once the device's files are closed (the app quit or
   * the process is being torn down), which has no one left to tell.
   */
  #runInBackground(kind: RunKind): void {
    this.#request(kind).catch(() => undefined);
  }

  /** Runs a sync after the current one, merging with a run already queued. */
  #request(kind: RunKind): Promise<DaemonStatus> {
    if (this.#updateRequired) return Promise.resolve(this.status());
    if (this.#queued) {
      if (kind === 'full') this.#queued.kind = 'full';
      return this.#queued.run;
    }
    // It starts after whatever the stream announced so far, so it pulls that too.
    this.#cancelLivePull();
    const queued: { kind: RunKind; run: Promise<DaemonStatus> } = { kind, run: null as never };
    queued.run = (this.#current ?? Promise.resolve()).then(async () => {
      this.#queued = null;
      const run = this.#execute(queued.kind);
      this.#current = run;
      try {
        await run;
      } finally {
        this.#current = null;
      }
      this.#emit();
      return this.status();
    });
    this.#queued = queued;
    return queued.run;
  }

  async #execute(kind: RunKind): Promise<void> {
    this.#running = kind;
    if (kind === 'full') this.#cancelTimer();
    this.#emit();
    try {
      if (kind === 'pull') {
        await this.#client.pull();
        this.#pullFailures = 0;
        if (this.#faults.liveRetryCancelled) {
          this.#lastError = null;
          this.#cancelTimer();
          this.#schedule(this.#intervalMs);
        }
        return;
      }
      await this.#client.sync();
      this.#failures = 0;
      this.#pullFailures = 0;
      this.#liveNotBefore = 0;
      this.#lastError = null;
      this.#schedule(this.#intervalMs);
    } catch (error) {
      this.#settleFailure(error, kind);
    } finally {
      this.#running = null;
    }
  }

  #settleFailure(error: unknown, kind: RunKind): void {
    const at = this.#clock.now();
    if (error instanceof UpdateRequiredError) {
      const { minimumVersion, currentVersion, requiredAppVersion, message } = error;
      this.#updateRequired = { minimumVersion, currentVersion, ...(requiredAppVersion ? { requiredAppVersion } : {}), message };
      this.#lastError = { code: error.code, message: error.message, transient: false, at };
      this.stop();
      return;
    }
    const transient = error instanceof SyncError ? error.transient : false;
    const code = error instanceof SyncError ? error.code : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    this.#lastError = { code, message, transient, at };
    if (transient) {
      const failures = kind === 'full' ? ++this.#failures : ++this.#pullFailures;
      // An office that answered with Retry-After is up and has said when it can take us: that wait
      // replaces the backoff, which would otherwise grow with every turn-away of a busy hour and
      // leave the device minutes behind once the office had room. It tells every device it turns
      // away about the same wait: up to half as long again, at random, keeps them from all coming
      // back at the same moment. Never sooner than a second, nor longer than the backoff's longest.
      const asked = error instanceof SyncError ? error.retryAfterMs : undefined;
      const wait =
        asked === undefined
          ? this.#backoffDelay(failures)
          : Math.min(this.#backoff.maxMs, Math.max(MIN_RETRY_AFTER_MS, Math.round(asked * (1 + randomFraction(this.#random) / 2))));
      this.#liveNotBefore = at + wait;
      this.#schedule(wait);
    } else {
      // Someone has to act (re-enroll, look at an entry); keep the normal pace meanwhile.
      if (kind === 'full') this.#failures = 0;
      this.#schedule(this.#intervalMs);
    }
  }

  /** Exponential backoff with equal jitter: half the delay fixed, half random. */
  #backoffDelay(failures: number): number {
    const delay = Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(delay / 2 + randomFraction(this.#random) * (delay / 2));
  }

  /**
   * The next full sync in `ms`, unless one is already due sooner: a full sync cancels the timer as it
   * starts, so only a pull's outcome meets one, and that must never put off the retry of entries.
   */
  #schedule(ms: number): void {
    if (!this.#started || !this.#online) return;
    const dueAt = this.#clock.now() + ms;
    if (this.#timer && this.#timer.dueAt <= dueAt) return;
    this.#cancelTimer();
    const handle = this.#timers.setTimeout(() => {
      this.#timer = null;
      this.#runInBackground('full');
    }, ms);
    this.#timer = { handle, dueAt };
  }

  #cancelTimer(): void {
    if (this.#timer) this.#timers.clearTimeout(this.#timer.handle);
    this.#timer = null;
  }

  /** The office announced changes: one pull, soon, unless a run that will pull is already waiting. */
  #livePull(): void {
    if (!this.#started || this.#queued || this.#liveTimer !== null) return;
    const jitter = Math.floor(randomFraction(this.#random) * LIVE_PULL_JITTER_MS);
    this.#armLivePull(Math.max(jitter, this.#notBefore() - this.#clock.now()));
  }

  #armLivePull(ms: number): void {
    this.#liveTimer = this.#timers.setTimeout(() => {
      this.#liveTimer = null;
      // A failure since it was armed may have asked for a longer wait.
      const wait = this.#notBefore() - this.#clock.now();
      if (wait > 0) this.#armLivePull(wait);
      else this.#runInBackground('pull');
    }, ms);
  }

  #notBefore(): number {
    return this.#faults.liveRetryCancelled ? 0 : this.#liveNotBefore;
  }

  #cancelLivePull(): void {
    if (this.#liveTimer !== null) this.#timers.clearTimeout(this.#liveTimer);
    this.#liveTimer = null;
  }

  #openStream(): void {
    if (!this.#live || !this.#started || this.#stream || this.#streamTimer !== null || this.#updateRequired) return;
    const handlers: LiveHandlers = {
      onReady: () => {
        this.#streamConnected = true;
        this.#streamFailures = 0;
        this.#emit();
        // Whatever changed while the stream was down.
        this.#livePull();
      },
      onChanges: () => this.#livePull(),
      onClose: (error) => {
        if (this.#stream !== stream) return;
        this.#stream = null;
        this.#streamConnected = false;
        if (error instanceof UpdateRequiredError) {
          this.#settleFailure(error, 'pull');
          return;
        }
        this.#emit();
        this.#reconnectStreamLater();
      },
    };
    let stream: EventStream | null = null;
    try {
      stream = this.#client.listen(handlers);
      this.#stream = stream;
    } catch {
      // Not enrolled yet, for one: try again later.
      this.#reconnectStreamLater();
    }
  }

  #reconnectStreamLater(): void {
    if (!this.#started || this.#streamTimer !== null) return;
    this.#streamFailures++;
    this.#streamTimer = this.#timers.setTimeout(() => {
      this.#streamTimer = null;
      this.#openStream();
    }, this.#backoffDelay(this.#streamFailures));
  }

  #closeStream(): void {
    if (this.#streamTimer !== null) this.#timers.clearTimeout(this.#streamTimer);
    this.#streamTimer = null;
    const stream = this.#stream;
    this.#stream = null;
    this.#streamConnected = false;
    stream?.close();
  }

  #emit(): void {
    this.#onStatus?.(this.status());
  }
}

/** A uniform number in [0, 1) from injected randomness. */
function randomFraction(random: Randomness): number {
  const bytes = random.bytes(4);
  return (((bytes[0]! << 24) >>> 0) + (bytes[1]! << 16) + (bytes[2]! << 8) + bytes[3]!) / 2 ** 32;
}
