import { networkError } from '../main/core/sync/errors.js';
import type { BinaryTransport, EventStream, EventStreamHandlers, PostOptions, SyncTransport, TransportResponse } from '../main/core/sync/transport.js';

/**
 * The dev host's link to the office, which a developer can cut to see the device work offline: while
 * cut, every request fails as a dead zone's would (a network error, nothing reaches the office) and
 * the live stream drops. Restoring it tells the sync daemon the network is back, as the OS would.
 */
export class SwitchableLink implements SyncTransport, BinaryTransport {
  #reachable = true;
  readonly #open = new Set<EventStreamHandlers>();
  readonly #onRestored: () => void;

  constructor(
    private readonly office: SyncTransport & BinaryTransport,
    onRestored: () => void = () => {},
  ) {
    this.#onRestored = onRestored;
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  setReachable(reachable: boolean): void {
    if (reachable === this.#reachable) return;
    this.#reachable = reachable;
    if (reachable) return this.#onRestored();
    for (const handlers of [...this.#open]) handlers.onClose(unreachable());
    this.#open.clear();
  }

  async post(path: string, body: unknown, headers: Record<string, string>, options?: PostOptions): Promise<TransportResponse> {
    if (!this.#reachable) throw unreachable();
    return this.office.post(path, body, headers, options);
  }

  async patch(path: string, bytes: Uint8Array, headers: Record<string, string>): Promise<TransportResponse> {
    if (!this.#reachable) throw unreachable();
    return this.office.patch(path, bytes, headers);
  }

  events(path: string, headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    if (!this.#reachable) {
      queueMicrotask(() => handlers.onClose(unreachable()));
      return { close: () => {} };
    }
    let closed = false;
    const tracked: EventStreamHandlers = {
      onEvent: (event, data) => {
        if (!closed) handlers.onEvent(event, data);
      },
      onClose: (error) => {
        if (closed) return;
        closed = true;
        this.#open.delete(tracked);
        stream.close();
        handlers.onClose(error);
      },
    };
    const stream = this.office.events(path, headers, tracked);
    this.#open.add(tracked);
    return {
      close: () => {
        closed = true;
        this.#open.delete(tracked);
        stream.close();
      },
    };
  }
}

function unreachable() {
  return networkError(new Error('the dev host cut the link to the office'));
}
