import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants } from 'node:zlib';
import { networkError, responseError } from './errors.js';
import { SseParser } from './sse.js';

/**
 * How the sync client reaches the office. The real one speaks HTTP with fetch; tests plug an
 * in-process one or one that loses, delays and repeats messages, to run sync deterministically.
 */
export interface TransportResponse {
  status: number;
  /** The parsed JSON body, or null when there was none or it was not JSON. */
  body: unknown;
  /** The office's Retry-After (it is busy or its database is away), in ms. */
  retryAfterMs?: number;
}

export interface EventStreamHandlers {
  onEvent(event: string, data: string): void;
  /** The stream ended or could not be opened; `error` says why (null when it ended normally). */
  onClose(error: Error | null): void;
}

export interface EventStream {
  close(): void;
}

export interface PostOptions {
  /** Give up on the answer after this long instead of the transport's own timeout (a big push takes longer). */
  timeoutMs?: number;
}

export interface SyncTransport {
  /** Sends a JSON body. Throws a `SyncError` of code 'network' when no answer came back. */
  post(path: string, body: unknown, headers: Record<string, string>, options?: PostOptions): Promise<TransportResponse>;
  /** Opens a Server-Sent Events stream; handlers are called until it closes. */
  events(path: string, headers: Record<string, string>, handlers: EventStreamHandlers): EventStream;
}

/**
 * Requests without a JSON body: attachment uploads send raw chunks (PATCH). Kept apart from
 * `SyncTransport` so the transports that only carry push and pull need not speak them; the real
 * transport speaks both.
 */
export interface BinaryTransport {
  /** Sends `bytes` as application/octet-stream. Throws a `SyncError` of code 'network' when no answer came back. */
  patch(path: string, bytes: Uint8Array, headers: Record<string, string>): Promise<TransportResponse>;
}

export interface FetchTransportOptions {
  /** A request that takes longer, unless it names its own timeout, is abandoned (the office may still have processed it). */
  timeoutMs?: number;
}

/** Request bodies above this go compressed (a cellular link's bytes cost more than the CPU); below it the header outweighs the gain. */
const COMPRESS_ABOVE_BYTES = 1024;
/**
 * Brotli at quality 5: a batch of signed per-answer entries comes out 8% smaller than with gzip
 * (what is left is mostly signatures, which nothing shrinks) for about 3 ms more per 800 entries.
 */
const BROTLI_QUALITY = 5;
const brotliAsync = promisify(brotliCompress);

/** The office over HTTP(S), with Node's fetch (which inflates compressed answers itself). */
export class FetchTransport implements SyncTransport, BinaryTransport {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: FetchTransportOptions = {}) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async post(path: string, body: unknown, headers: Record<string, string>, options: PostOptions = {}): Promise<TransportResponse> {
    const json = JSON.stringify(body);
    const compressed = json.length > COMPRESS_ABOVE_BYTES;
    const sent = compressed ? await brotliAsync(json, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: json.length } }) : json;
    const encoding: Record<string, string> = compressed ? { 'content-encoding': 'br' } : {};
    return this.#request('POST', path, sent, { 'content-type': 'application/json', 'accept-encoding': 'br, gzip', ...encoding, ...headers }, options.timeoutMs);
  }

  patch(path: string, bytes: Uint8Array, headers: Record<string, string>): Promise<TransportResponse> {
    return this.#request('PATCH', path, bytes, { 'content-type': 'application/octet-stream', ...headers });
  }

  async #request(
    method: string,
    path: string,
    body: string | Uint8Array,
    headers: Record<string, string>,
    timeoutMs = this.#timeoutMs,
  ): Promise<TransportResponse> {
    let text: string;
    let response: Response;
    try {
      response = await fetch(this.#baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      throw networkError(error);
    }
    return { status: response.status, body: parseJson(text), retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
  }

  events(path: string, headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    const controller = new AbortController();
    let closed = false;
    const close = (error: Error | null) => {
      if (closed) return;
      closed = true;
      handlers.onClose(error);
    };
    void (async () => {
      const response = await fetch(this.#baseUrl + path, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
      if (!response.ok || !response.body) {
        close(responseError(response.status, parseJson(await response.text()), retryAfterMs(response.headers.get('retry-after'))));
        return;
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (!closed) handlers.onEvent(event.event, event.data);
        }
      }
      close(null);
    })().catch((error: unknown) => close(controller.signal.aborted ? null : networkError(error)));
    return {
      close: () => {
        closed = true;
        controller.abort();
      },
    };
  }
}

/** Retry-After as delay-seconds or as an HTTP date; absent or unreadable gives undefined. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
