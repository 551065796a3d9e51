import { describe, expect, it } from 'vitest';
import { parseSse } from '../src/api/sse.js';

describe('the event-stream parser', () => {
  it('reads id, event and data, skipping heartbeat comments', () => {
    const { events, rest } = parseSse(': heartbeat\n\nid: 7\nevent: status\ndata: {"phase":"Running"}\n\n');
    expect(events).toEqual([{ id: '7', event: 'status', data: '{"phase":"Running"}' }]);
    expect(rest).toBe('');
  });

  it('keeps an unfinished event for the next chunk', () => {
    const first = parseSse('id: 8\nevent: status\ndata: {"pha');
    expect(first.events).toEqual([]);
    const second = parseSse(`${first.rest}se":"Succeeded"}\n\n`);
    expect(second.events).toEqual([{ id: '8', event: 'status', data: '{"phase":"Succeeded"}' }]);
  });

  it('joins multi-line data and accepts CRLF line ends', () => {
    expect(parseSse('data: a\r\ndata: b\r\n\r\n').events).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
