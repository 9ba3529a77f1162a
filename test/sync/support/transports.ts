import type { FastifyInstance } from 'fastify';
import { networkError } from '../../../main/core/sync/errors.js';
import type { EventStream, EventStreamHandlers, SyncTransport, TransportResponse } from '../../../main/core/sync/transport.js';

/**
 * Transports for tests: the real one wrapped so that messages get lost or changed on the way, and
 * an in-process one (Fastify's inject) for the deterministic simulation.
 */

/** What was sent, for assertions on what the device put on the wire. */
export interface SentRequest {
  path: string;
  body: unknown;
}

type Fault =
  | { kind: 'drop-response' }
  | { kind: 'rewrite'; change: (body: any) => unknown }
  | { kind: 'rewrite-answer'; change: (body: any) => unknown }
  | { kind: 'unreachable' };

/** Forwards to the real transport, with faults queued per path by the test. */
export class ScriptedTransport implements SyncTransport {
  /** Requests that reached the office. */
  readonly sent: SentRequest[] = [];
  /** Every request the device tried, reached or not, by path. */
  readonly attempts: string[] = [];
  readonly #faults = new Map<string, Fault[]>();

  constructor(private readonly inner: SyncTransport) {}

  /** The office processes the next `count` requests to `path`, but their answers are lost. */
  dropResponses(path: string, count = 1): void {
    for (let i = 0; i < count; i++) this.#queue(path, { kind: 'drop-response' });
  }

  /** The next request to `path` is changed on the way (a proxy, a bit flip). */
  rewriteNext(path: string, change: (body: any) => unknown): void {
    this.#queue(path, { kind: 'rewrite', change });
  }

  /** The answer to the next request to `path` is changed on the way back. */
  rewriteNextAnswer(path: string, change: (body: any) => unknown): void {
    this.#queue(path, { kind: 'rewrite-answer', change });
  }

  /** From now on no request to `path` reaches the office (a dead zone). */
  unreachable(path: string): void {
    this.#faults.set(path, [{ kind: 'unreachable' }]);
  }

  /** Ends `unreachable`: requests reach the office again. */
  heal(): void {
    this.#faults.clear();
  }

  async post(path: string, body: unknown, headers: Record<string, string>): Promise<TransportResponse> {
    this.attempts.push(path);
    const fault = this.#take(path);
    if (fault?.kind === 'unreachable') throw networkError(new Error('no route to host'));
    const sent = fault?.kind === 'rewrite' ? fault.change(structuredClone(body)) : body;
    this.sent.push({ path, body: sent });
    const response = await this.inner.post(path, sent, headers);
    if (fault?.kind === 'drop-response') throw networkError(new Error('connection reset after the request was sent'));
    if (fault?.kind === 'rewrite-answer') return { ...response, body: fault.change(structuredClone(response.body)) };
    return response;
  }

  events(path: string, headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    return this.inner.events(path, headers, handlers);
  }

  #queue(path: string, fault: Fault): void {
    this.#faults.set(path, [...(this.#faults.get(path) ?? []), fault]);
  }

  #take(path: string): Fault | undefined {
    const faults = this.#faults.get(path);
    const fault = faults?.[0];
    if (fault && fault.kind !== 'unreachable') faults!.shift();
    return fault;
  }
}

/** The office in the same process, through Fastify's inject: no sockets, deterministic. */
export class InjectTransport implements SyncTransport {
  constructor(private readonly app: FastifyInstance) {}

  async post(path: string, body: unknown, headers: Record<string, string>): Promise<TransportResponse> {
    const response = await this.app.inject({ method: 'POST', url: path, payload: body as object, headers });
    return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as unknown) : null };
  }

  /** The simulation drives pulls itself; the stream connects and stays quiet. */
  events(_path: string, _headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    queueMicrotask(() => handlers.onEvent('ready', '{}'));
    return { close: () => undefined };
  }
}
