import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTracing, metrics, shutdownTracing, type Logger } from '@jangar/service-kit';
import { testApp } from './fake-deps.js';

// Spans are written to a file as each one ends, so a test reads which requests were traced.
const dir = mkdtempSync(path.join(os.tmpdir(), 'jangar-probes-'));
const spansFile = path.join(dir, 'spans.jsonl');
beforeAll(() => initTracing('api-gateway-test', 'file', spansFile));
afterAll(async () => {
  await shutdownTracing();
  rmSync(dir, { recursive: true, force: true });
});
const spanNames = () =>
  existsSync(spansFile)
    ? readFileSync(spansFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { name: string }).name)
    : [];

/** The app with an info-level logger whose lines the test can read. */
function appWithLog() {
  const lines: { msg?: string; req?: { url?: string }; level: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) as unknown as Logger;
  return { app: testApp({ logger }), lines };
}

const latencySeries = async (route: string) => (await metrics().render()).body.split('\n').filter((l) => l.includes(`route="${route}"`));

describe('health probes', () => {
  it.each(['/livez', '/readyz'])('answers %s without a span, a latency series or info logs', async (url) => {
    const { app, lines } = appWithLog();
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers.traceparent).toBeUndefined();
    expect(spanNames()).not.toContain(`GET ${url}`);
    expect(await latencySeries(url)).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('still traces, measures and logs every /v1 request', async () => {
    const { app, lines } = appWithLog();
    const res = await app.inject({ method: 'GET', url: '/v1/runs/r1' });
    expect(res.statusCode).toBe(401);
    expect(res.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(res.json().traceId).toBe(String(res.headers.traceparent).split('-')[1]);
    expect(spanNames()).toContain('GET /v1/runs/:id');
    expect((await latencySeries('/v1/runs/:id')).length).toBeGreaterThan(0);
    // One line for the request, once it is answered, with what the client got (the service's
    // logger adds the trace; the agent-run e2e reads it there).
    expect(lines.filter((l) => l.req?.url === '/v1/runs/r1')).toEqual([
      expect.objectContaining({
        msg: 'request completed',
        req: expect.objectContaining({ method: 'GET', url: '/v1/runs/r1' }),
        res: { statusCode: 401 },
        responseTime: expect.any(Number),
      }),
    ]);
  });

  it('logs a probe that fails', async () => {
    const lines: { msg?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) as unknown as Logger;
    const app = testApp({
      logger,
      readiness: async () => {
        throw new Error('postgres vanished');
      },
    });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(500);
    expect(lines.map((l) => l.msg)).toContain('unhandled error');
  });
});
