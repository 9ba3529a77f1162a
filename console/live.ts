import { type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { SYNC_EVENTS } from '../protocol/wire/events.js';
import { authHeaders } from './api.js';
import { OFFICE } from './queries.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/** Waits between reconnections: short at first, never more than this. */
const RETRY_MS = [500, 1_000, 2_000, 5_000, 10_000];

/**
 * The office's live channel (GET /v1/office/events, Server-Sent Events). On `ready` and on every
 * `changes` all office queries go stale, so what is on screen is read again: a conflict a device
 * pushes shows in the queue within the office's notification window. Read with fetch rather than
 * EventSource so the request carries the same credentials as every other (an API token is a header).
 */
export function useLiveOffice(queryClient: QueryClient, enabled: boolean): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    if (!enabled) return;
    const stop = new AbortController();
    let attempt = 0;
    const refresh = () => void queryClient.invalidateQueries({ queryKey: [OFFICE] });
    const run = async () => {
      while (!stop.signal.aborted) {
        try {
          const response = await fetch('/v1/office/events', { headers: { accept: 'text/event-stream', ...authHeaders('GET') }, credentials: 'same-origin', signal: stop.signal });
          if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
          await readEvents(response.body, (event) => {
            if (event === SYNC_EVENTS.ready) {
              attempt = 0;
              setState('live');
            }
            refresh();
          });
        } catch {
          // Ended or refused: reconnect after a pause (below), unless the console is closing.
        }
        if (stop.signal.aborted) return;
        setState('reconnecting');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]));
      }
    };
    void run();
    return () => stop.abort();
  }, [queryClient, enabled]);
  return state;
}

/** Calls `onEvent` with each event's name until the stream ends. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (name: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let boundary = buffered.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffered.slice(0, boundary);
      buffered = buffered.slice(boundary + 2);
      const name = /^event: (.+)$/m.exec(block)?.[1];
      if (name) onEvent(name);
      boundary = buffered.indexOf('\n\n');
    }
  }
}
