import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, STREAM_IDLE_TIMEOUT_MS } from '../src/client.js';
import type { Context } from '../src/context.js';
import { followRun } from '../src/follow.js';
import { testServer } from './harness.js';
import { sendStatus } from '../../../test/support/event-stream.js';

const contextFor = (server: string, streamIdleTimeoutMs: number) =>
  ({ client: new ApiClient({ server, token: 't', streamIdleTimeoutMs }), signal: new AbortController().signal }) as unknown as Context;

describe('following a run', () => {
  const servers: Array<{ close: () => Promise<void> }> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('waits three missed 15 s heartbeats of the gateway (45 s) before it calls a stream dead', () => {
    expect(STREAM_IDLE_TIMEOUT_MS).toBe(45_000);
  });

  it(
    'reconnects with Last-Event-ID after a stream is silent for the idle timeout (a half-open connection)',
    { timeout: 15_000 },
    async () => {
      const server = await testServer((req, res, received) => {
        // The first connection brings the current state and then nothing, not even a heartbeat, while staying open.
        if (received.length === 1) sendStatus(res, 'Running', '5');
        else {
          sendStatus(res, 'Succeeded', '6');
          res.end();
        }
      });
      servers.push(server);
      const phases: string[] = [];

      const final = await followRun(contextFor(server.url, 300), 'id-1', (r) => phases.push(r.phase));

      expect(final.phase).toBe('Succeeded');
      expect(phases).toEqual(['Running', 'Succeeded']);
      expect(server.received).toHaveLength(2);
      expect(server.received[0]!.headers['last-event-id']).toBeUndefined();
      expect(server.received[1]!.headers['last-event-id']).toBe('5');
    },
  );

  it('keeps a quiet stream whose heartbeats keep coming', { timeout: 15_000 }, async () => {
    const server = await testServer((_req, res) => {
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
    servers.push(server);

    const final = await followRun(contextFor(server.url, 300), 'id-1', () => undefined);

    expect(final.phase).toBe('Succeeded');
    expect(server.received).toHaveLength(1);
  });
});
