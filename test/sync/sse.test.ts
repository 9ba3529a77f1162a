import { describe, expect, it } from 'vitest';
import { SseParser } from '../../main/core/sync/sse.js';

describe('server-sent events framing', () => {
  it('reads events split anywhere across chunks, with \\n, \\r\\n or \\r line ends, skipping keep-alive comments', () => {
    const stream = 'event: ready\r\ndata: {"siteId":"site-north","at":1}\r\n\r\n: keep-alive\n\nevent: changes\ndata: {"at":2}\n\rdata: line one\rdata: line two\r\r';
    // Every way of cutting the stream into two chunks gives the same events.
    const whole = new SseParser().push(stream);
    expect(whole).toEqual([
      { event: 'ready', data: '{"siteId":"site-north","at":1}' },
      { event: 'changes', data: '{"at":2}' },
      { event: 'message', data: 'line one\nline two' },
    ]);
    for (let cut = 1; cut < stream.length; cut++) {
      const parser = new SseParser();
      // An empty chunk (a decoder holding half a character back) in between changes nothing.
      const events = [...parser.push(stream.slice(0, cut)), ...parser.push(''), ...parser.push(stream.slice(cut))];
      expect(events, `cut at ${cut}`).toEqual(whole);
    }
  });

  it('holds an event back until its blank line arrives, and drops an event with no data', () => {
    const parser = new SseParser();
    expect(parser.push('event: changes\ndata: {}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'changes', data: '{}' }]);
    expect(parser.push('event: ready\n\n')).toEqual([]);
    expect(parser.push('data:no-space\n\n')).toEqual([{ event: 'message', data: 'no-space' }]);
  });
});
