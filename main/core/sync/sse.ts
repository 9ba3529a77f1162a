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
  /** The last chunk ended in \r: a \n starting the next one belongs to that line end. */
  #afterCarriageReturn = false;

  push(chunk: string): ServerSentEvent[] {
    if (chunk === '') return [];
    this.#buffer += this.#afterCarriageReturn && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
    this.#afterCarriageReturn = false;
    const events: ServerSentEvent[] = [];
    for (let at = this.#buffer.search(/[\r\n]/); at !== -1; at = this.#buffer.search(/[\r\n]/)) {
      const line = this.#buffer.slice(0, at);
      const crlf = this.#buffer.startsWith('\r\n', at);
      if (this.#buffer[at] === '\r' && at === this.#buffer.length - 1) this.#afterCarriageReturn = true;
      this.#buffer = this.#buffer.slice(at + (crlf ? 2 : 1));
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
