import type { FastifyReply } from 'fastify';

/** A Server-Sent Events response on a hijacked reply. */
export interface SseStream {
  /** Writes one event; ignored once the stream is closed. */
  event(e: { id?: string; event?: string; data: string }): void;
  /** Ends the response (once). */
  close(): void;
  readonly closed: boolean;
}

/**
 * Takes the reply over from fastify and opens an event stream. A comment every `heartbeatMs` keeps
 * proxies from timing the connection out; `onClose` runs once, whoever closes (client or server).
 */
export function openSse(reply: FastifyReply, opts: { heartbeatMs: number; onClose: () => void }): SseStream {
  reply.hijack();
  const res = reply.raw;
  // Headers set by hooks (traceparent) would be lost with the hijack; they go out with the stream's.
  const hookHeaders = Object.fromEntries(Object.entries(reply.getHeaders()).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | string[] | number
  >;
  res.writeHead(200, {
    ...hookHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Stops nginx-style proxies from buffering the stream.
    'x-accel-buffering': 'no',
  });
  let closed = false;
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs);
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    opts.onClose();
  };
  res.on('close', finish);
  // A client gone while the handler awaited fired its 'close' before the listener was added, and a
  // late listener never hears it: without this the heartbeat and the caller's subscription leak.
  // On the next tick, so the caller holds the stream before its onClose runs.
  if (res.destroyed) process.nextTick(finish);
  return {
    event({ id, event, data }) {
      if (closed) return;
      // A data value spanning lines needs one `data:` field per line.
      const lines = [...(id !== undefined ? [`id: ${id}`] : []), ...(event ? [`event: ${event}`] : [])];
      lines.push(...data.split('\n').map((l) => `data: ${l}`));
      res.write(`${lines.join('\n')}\n\n`);
    },
    close() {
      finish();
      res.end();
    },
    get closed() {
      return closed;
    },
  };
}
