/**
 * Server-Sent Events over fetch. EventSource cannot send an Authorization header, so the stream
 * is read with fetch and parsed here (the WHATWG event-stream format: `id:`, `event:`, `data:`
 * fields, events ended by a blank line, `:` comments for heartbeats).
 */
import { ApiError } from './client.js';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** The complete events in `buffer` and the unfinished rest to prepend to the next chunk. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const normalized = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ ...(id !== undefined ? { id } : {}), event, data: data.join('\n') });
  }
  return { events, rest };
}

/** Reads one event stream until it ends or `signal` aborts; throws on an HTTP error or a broken connection. */
export async function readEventStream(
  url: string,
  token: string,
  opts: { lastEventId?: string; signal: AbortSignal; onEvent: (e: SseEvent) => void },
): Promise<void> {
  const res = await fetch(url, {
    headers: {
      accept: 'text/event-stream',
      authorization: `Bearer ${token}`,
      ...(opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}),
    },
    signal: opts.signal,
  });
  if (!res.ok || !res.body) throw new ApiError(res.status, undefined, `the event stream answered ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    const parsed = parseSse(buffer + value);
    buffer = parsed.rest;
    for (const e of parsed.events) opts.onEvent(e);
  }
}
