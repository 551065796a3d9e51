import { describe, expect, it } from 'vitest';
import { SseParser, sseEvents } from '../src/sse.js';

describe('the event-stream parser', () => {
  it('reads events split anywhere across chunks, skipping heartbeats', () => {
    const text =
      ': heartbeat\n\nid: 7\nevent: status\ndata: {"phase":"Pending"}\n\nid: 9\r\nevent: status\r\ndata: {"phase":\r\ndata: "Running"}\r\n\r\n';
    for (const size of [1, 2, 5, 13, text.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.feed(text.slice(i, i + size)));
      expect(events, `chunks of ${size}`).toEqual([
        { id: '7', event: 'status', data: '{"phase":"Pending"}' },
        { id: '9', event: 'status', data: '{"phase":\n"Running"}' },
      ]);
    }
  });

  it('defaults the event type, keeps the last id, and ignores unknown fields and unfinished events', () => {
    const parser = new SseParser();
    expect(parser.feed('id: 1\nretry: 100\nfoo: bar\ndata:x\n\ndata: y\n\ndata: never ended\n')).toEqual([
      { id: '1', event: 'message', data: 'x' },
      { id: '1', event: 'message', data: 'y' },
    ]);
  });

  it('decodes a byte stream, multi-byte characters split across chunks included', async () => {
    const bytes = new TextEncoder().encode('event: status\ndata: “ok”\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const b of bytes) controller.enqueue(new Uint8Array([b]));
        controller.close();
      },
    });
    const events = [];
    for await (const e of sseEvents(body)) events.push(e);
    expect(events).toEqual([{ event: 'status', data: '“ok”' }]);
  });
});
