/**
 * Server-Sent Events framing (the WHATWG event-stream format): lines of `field: value`, an event
 * ends at a blank line, lines starting with ':' are comments (keep-alives). Fed arbitrary chunks,
 * it returns the events completed so far.
 */
export interface ServerSentEvent {
  event: string;
  data: string;
}

export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];

  push(chunk: string): ServerSentEvent[] {
    this.#buffer += chunk;
    const events: ServerSentEvent[] = [];
    for (let end = lineEnd(this.#buffer); end !== null; end = lineEnd(this.#buffer)) {
      const line = this.#buffer.slice(0, end.at);
      this.#buffer = this.#buffer.slice(end.at + end.length);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  #line(line: string): ServerSentEvent | null {
    if (line === '') {
      const event = this.#data.length > 0 ? { event: this.#event || 'message', data: this.#data.join('\n') } : null;
      this.#event = '';
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    return null;
  }
}

/** Where the first line ends (\r\n, \n or \r), or null while the line is incomplete. */
function lineEnd(buffer: string): { at: number; length: number } | null {
  const at = buffer.search(/[\r\n]/);
  if (at === -1) return null;
  if (buffer[at] === '\r') {
    // A lone \r at the end of a chunk may be the first half of \r\n.
    if (at === buffer.length - 1) return null;
    return { at, length: buffer[at + 1] === '\n' ? 2 : 1 };
  }
  return { at, length: 1 };
}
