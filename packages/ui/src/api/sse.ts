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

/**
 * The gateway sends a `: heartbeat` comment every 15 s; three missed in a row mean the connection
 * is half-open (a laptop that slept, a proxy that dropped it silently), which the browser may not
 * notice for minutes or ever. Such a stream is given up, so its follower reconnects.
 */
export const STREAM_IDLE_TIMEOUT_MS = 45_000;

/** The stream brought no byte, not even a heartbeat, for the idle timeout. */
export class StreamIdleError extends Error {
  constructor(ms: number) {
    super(`the event stream was silent for ${Math.round(ms / 1000)}s`);
    this.name = 'StreamIdleError';
  }
}

/**
 * Reads one event stream until it ends or `signal` aborts; throws on an HTTP error, a broken
 * connection, or `StreamIdleError` when nothing (event or heartbeat) arrived for `idleTimeoutMs`.
 */
export async function readEventStream(
  url: string,
  token: string,
  opts: {
    lastEventId?: string;
    signal: AbortSignal;
    onEvent: (e: SseEvent) => void;
    /** Told once the server has accepted the stream, before any event: a resumed stream may bring none for a while. */
    onOpen?: () => void;
    idleTimeoutMs?: number;
  },
): Promise<void> {
  const idleMs = opts.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS;
  // Aborted by the caller or by silence; linked by hand, as AbortSignal.any is younger than some browsers the console serves.
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (opts.signal.aborted) controller.abort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  let idle = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle = true;
      controller.abort();
    }, idleMs);
  };
  arm();
  try {
    const res = await fetch(url, {
      headers: {
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
        ...(opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}),
      },
      signal: controller.signal,
    });
    if (!res.ok || !res.body) throw new ApiError(res.status, undefined, `the event stream answered ${res.status}`);
    opts.onOpen?.();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      // Any bytes, a heartbeat comment included, prove the connection alive.
      arm();
      const parsed = parseSse(buffer + value);
      buffer = parsed.rest;
      for (const e of parsed.events) opts.onEvent(e);
    }
  } catch (err) {
    if (idle && !opts.signal.aborted) throw new StreamIdleError(idleMs);
    throw err;
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
  }
}
