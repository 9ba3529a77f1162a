import type { Timers } from '../../../main/core/sync/daemon.js';
import type { ManualClock } from '../../support/device.js';

/** Timers on a manual clock: nothing fires until the test moves time on. */
export class FakeTimers implements Timers {
  #next = 1;
  #due = new Map<number, { at: number; callback: () => void }>();

  constructor(private readonly clock: ManualClock) {}

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.clock.now() + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  /** When the earliest timer is due, or null when none is set. */
  nextDueAt(): number | null {
    const times = [...this.#due.values()].map((timer) => timer.at);
    return times.length > 0 ? Math.min(...times) : null;
  }

  /** Timers of one owner (a device process), all dropped at once when it dies. */
  scope(): Timers & { clearAll(): void } {
    const mine = new Set<unknown>();
    return {
      setTimeout: (callback, ms) => {
        const handle = this.setTimeout(() => {
          mine.delete(handle);
          callback();
        }, ms);
        mine.add(handle);
        return handle;
      },
      clearTimeout: (handle) => {
        mine.delete(handle);
        this.clearTimeout(handle);
      },
      clearAll: () => {
        for (const handle of mine) this.clearTimeout(handle);
        mine.clear();
      },
    };
  }

  get pending(): number {
    return this.#due.size;
  }

  /** Moves the clock to the earliest timer and fires it; false when none is set. */
  fireNext(): boolean {
    const [id, timer] = [...this.#due.entries()].sort(([a, x], [b, y]) => x.at - y.at || a - b)[0] ?? [];
    if (id === undefined || !timer) return false;
    this.#due.delete(id);
    if (timer.at > this.clock.now()) this.clock.ms = timer.at;
    timer.callback();
    return true;
  }

  /** Moves the clock on by `ms`, firing every timer that falls due meanwhile, in order. */
  advance(ms: number): void {
    const until = this.clock.now() + ms;
    for (let due = this.nextDueAt(); due !== null && due <= until; due = this.nextDueAt()) this.fireNext();
    this.clock.ms = until;
  }
}
