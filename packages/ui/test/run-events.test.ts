/// <reference types="node" />
// The console's stream follower is tested against a real HTTP server, which only Node provides here.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { followRunEvents, type LiveState } from '../src/api/run-events.js';
import { STREAM_IDLE_TIMEOUT_MS } from '../src/api/sse.js';
import { sendStatus } from '../../../test/support/event-stream.js';

/** A local server that records the headers of each request and answers with `handle(res, n)`, n counting from 1. */
async function eventServer(handle: (res: ServerResponse, n: number) => void) {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    received.push(req.headers);
    handle(res, received.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/runs/id-1/events`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, received, close };
}

describe("the console's run follower", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('gives up a stream after three missed 15 s heartbeats of the gateway (45 s)', () => {
    expect(STREAM_IDLE_TIMEOUT_MS).toBe(45_000);
  });

  it(
    'reconnects with Last-Event-ID after a stream is silent for the idle timeout (a half-open connection)',
    { timeout: 15_000 },
    async () => {
      const server = await eventServer((res, n) => {
        // The first connection brings the current state and then nothing, not even a heartbeat, while staying open.
        if (n === 1) sendStatus(res, 'Running', '5');
        else {
          sendStatus(res, 'Succeeded', '6');
          res.end();
        }
      });
      closers.push(server.close);
      const phases: string[] = [];
      const states: LiveState[] = [];

      await followRunEvents(server.url, 't', {
        signal: new AbortController().signal,
        idleTimeoutMs: 300,
        onRun: (r) => phases.push(r.phase),
        onLive: (s) => states.push(s),
      });

      expect(phases).toEqual(['Running', 'Succeeded']);
      expect(states).toEqual(['live', 'reconnecting', 'live', 'ended']);
      expect(server.received).toHaveLength(2);
      expect(server.received[0]!['last-event-id']).toBeUndefined();
      expect(server.received[1]!['last-event-id']).toBe('5');
    },
  );

  it('keeps a quiet stream whose heartbeats keep coming', { timeout: 15_000 }, async () => {
    const server = await eventServer((res) => {
      sendStatus(res, 'Running', '5');
      // Heartbeats at a sixth of the idle timeout, for twice the idle timeout, then the end.
      let beats = 0;
      const timer = setInterval(() => {
        res.write(': heartbeat\n\n');
        if (++beats === 12) {
          clearInterval(timer);
          sendStatus(res, 'Succeeded', '6');
          res.end();
        }
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    closers.push(server.close);
    const states: LiveState[] = [];

    await followRunEvents(server.url, 't', {
      signal: new AbortController().signal,
      idleTimeoutMs: 300,
      onRun: () => undefined,
      onLive: (s) => states.push(s),
    });

    expect(states).not.toContain('reconnecting');
    expect(server.received).toHaveLength(1);
  });
  it('is live again once a resumed stream is accepted, though the run has nothing new to send', { timeout: 15_000 }, async () => {
    const server = await eventServer((res, n) => {
      if (n === 1) {
        // The current state, then the connection drops.
        sendStatus(res, 'Running', '5');
        res.end();
        return;
      }
      // Resumed at the version the run still has: only heartbeats.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': heartbeat\n\n');
    });
    closers.push(server.close);
    const states: LiveState[] = [];
    const stop = new AbortController();
    const following = followRunEvents(server.url, 't', { signal: stop.signal, onRun: () => undefined, onLive: (s) => states.push(s) });
    const deadline = Date.now() + 10_000;
    while (!(server.received.length === 2 && states.at(-1) === 'live') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await following;
    expect(states).toEqual(['live', 'reconnecting', 'live']);
    expect(server.received[1]?.['last-event-id']).toBe('5');
  });
});
