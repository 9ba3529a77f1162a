import type { EventStream, EventStreamHandlers, PostOptions, SyncTransport, TransportResponse } from '../../../main/core/sync/transport.js';

/** A transport that hands everything to another: a test extends it to change what it needs on the way. */
export class PassThroughTransport implements SyncTransport {
  constructor(protected readonly inner: SyncTransport) {}

  post(path: string, body: unknown, headers: Record<string, string>, options?: PostOptions): Promise<TransportResponse> {
    return this.inner.post(path, body, headers, options);
  }

  events(path: string, headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    return this.inner.events(path, headers, handlers);
  }
}
