import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.js';

const DEFAULT_KEEP_ALIVE_MS = 15_000;

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Ends the stream (once); `onEnd` callbacks run. */
  end(): void;
  readonly ended: boolean;
}

/**
 * A Server-Sent Events answer: keep-alive comments between events (proxies close quiet
 * connections), ended when the client goes, when the office stops, or by `end`.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply, context: ServiceContext, onEnd: () => void): EventStream {
  reply.hijack();
  const stream = reply.raw;
  stream.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    onEnd();
    context.notifier.off('close', end);
    // The connection carried only this stream: close it rather than leave it idle in keep-alive,
    // which would hold a shutting-down server open until the client gives up on it.
    if (!stream.writableEnded) stream.end(() => request.raw.socket.destroy());
  };
  const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), context.config.eventKeepAliveMs ?? DEFAULT_KEEP_ALIVE_MS);
  keepAlive.unref();
  request.raw.on('close', end);
  context.notifier.on('close', end);
  return {
    send: (event, data) => {
      if (!ended) stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end,
    get ended() {
      return ended;
    },
  };
}
