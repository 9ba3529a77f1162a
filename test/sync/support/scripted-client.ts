import type { LiveHandlers, PullSummary, SyncClient, SyncReport } from '../../../main/core/sync/client.js';
import type { EventStream } from '../../../main/core/sync/transport.js';
import type { ManualClock } from '../../support/device.js';

type Call = 'sync' | 'pull';

/** What the next call of a kind does: answer at once, fail with `error`, or wait until the test releases it. */
export type Outcome = { ok: true } | { error: Error } | { held: Held };

/** A call the test holds open: it answers only when released. */
export class Held {
  #release!: (outcome: { ok: true } | { error: Error }) => void;
  #started!: () => void;
  readonly answer = new Promise<{ ok: true } | { error: Error }>((resolve) => (this.#release = resolve));
  /** Resolves once the daemon made the call. */
  readonly started = new Promise<void>((resolve) => (this.#started = resolve));

  begin(): void {
    this.#started();
  }

  release(outcome: { ok: true } | { error: Error } = { ok: true }): void {
    this.#release(outcome);
  }
}

/**
 * A sync client with no office behind it, for the daemon's decisions alone: each sync or pull does
 * what the test scripted for it (by default it succeeds), the outbox is a number the test sets,
 * and the live stream is in the test's hands. It records every call and how many overlapped.
 */
export class ScriptedSyncClient implements Pick<SyncClient, 'sync' | 'pull' | 'listen' | 'outbox' | 'lastSuccessAt'> {
  readonly calls: Call[] = [];
  maxInFlight = 0;
  /** Entries waiting to be sent; a successful sync sends them all. */
  pending = 0;
  #inFlight = 0;
  #lastSuccessAt: number | null = null;
  #live: LiveHandlers | null = null;
  readonly #script: Record<Call, Outcome[]> = { sync: [], pull: [] };

  constructor(private readonly clock: ManualClock) {}

  /** The next calls of `kind` do these, in order; later ones succeed. */
  next(kind: Call, ...outcomes: Outcome[]): void {
    this.#script[kind].push(...outcomes);
  }

  /** The next call of `kind` waits for the test; returns its handle. */
  hold(kind: Call): Held {
    const held = new Held();
    this.next(kind, { held });
    return held;
  }

  async sync(): Promise<SyncReport> {
    await this.#call('sync');
    this.pending = 0;
    this.#lastSuccessAt = this.clock.now();
    return {
      pushed: { batches: 1, sent: 0, acknowledged: [], failed: [], conflicts: 0 },
      pulled: { pages: 1, records: 0, operators: 0 },
      at: this.clock.now(),
    };
  }

  async pull(): Promise<PullSummary> {
    await this.#call('pull');
    return { pages: 1, records: 0, operators: 0 };
  }

  listen(handlers: LiveHandlers): EventStream {
    this.#live = handlers;
    return { close: () => (this.#live = null) };
  }

  outbox(): { pending: number; failed: number } {
    return { pending: this.pending, failed: 0 };
  }

  lastSuccessAt(): number | null {
    return this.#lastSuccessAt;
  }

  /** The live stream, as the office drives it; throws when the daemon has none open. */
  get live(): LiveHandlers {
    if (!this.#live) throw new Error('the daemon has no live stream open');
    return this.#live;
  }

  async #call(kind: Call): Promise<void> {
    this.calls.push(kind);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.#inFlight);
    try {
      let outcome = this.#script[kind].shift() ?? { ok: true };
      if ('held' in outcome) {
        outcome.held.begin();
        outcome = await outcome.held.answer;
      }
      if ('error' in outcome) throw outcome.error;
    } finally {
      this.#inFlight--;
    }
  }
}
