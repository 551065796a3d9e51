import { describe, expect, it } from 'vitest';
import { RPCS } from '@jangar/contracts';
import type { AnyRpc } from '@jangar/service-kit';
import { Authenticator } from '../src/auth.js';
import type { GatewayDeps } from '../src/deps.js';
import { testApp } from './fake-deps.js';

const TOKENS = [
  { token: 'auditor-token', subject: 'dana', namespaces: ['*'], roles: ['auditor'] },
  { token: 'team-auditor-token', subject: 'carol', namespaces: ['team-a'], roles: ['auditor'] },
  { token: 'alice-token', subject: 'alice', namespaces: ['team-a'] },
];

/** The gateway with `answer` behind every RPC, recording each call. */
function recorded(answer: (def: AnyRpc, request: unknown) => unknown) {
  const calls: Array<{ def: AnyRpc; request: unknown }> = [];
  const app = testApp({
    auth: new Authenticator(JSON.stringify(TOKENS), undefined),
    call: (async (def: AnyRpc, request: unknown) => {
      calls.push({ def, request });
      return answer(def, request);
    }) as GatewayDeps['call'],
  });
  const get = (url: string, token: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  return { calls, get };
}

describe('GET /v1/audit/verify, a page at a time', () => {
  const page = { intact: true, checked: 50_000, verifiedThrough: 50_000, continue: 'next-page' };

  it('asks for a bounded page (50,000 events by default) and hands back the token of the next', async () => {
    const { calls, get } = recorded(() => page);
    const res = await get('/v1/audit/verify', 'auditor-token');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(page);
    expect(calls).toEqual([{ def: RPCS.verifyAudit, request: { limit: 50_000 } }]);
  });

  it('passes limit and continue on', async () => {
    const { calls, get } = recorded(() => ({ intact: true, checked: 10 }));
    await get('/v1/audit/verify?limit=10&continue=abc', 'auditor-token');
    expect(calls.map((c) => c.request)).toEqual([{ limit: 10, continue: 'abc' }]);
  });

  it.each([
    ['a limit of 0', 'limit=0', 'query.limit'],
    ['a limit over 100,000', 'limit=100001', 'query.limit'],
    ['a limit that is not a number', 'limit=all', 'query.limit'],
    ['an empty continue token', 'continue=', 'query.continue'],
    ['an unknown parameter', 'from=5', 'query.from'],
  ])('refuses %s as a validation_failed problem naming the field', async (_what, query, path) => {
    const { calls, get } = recorded(() => page);
    const res = await get(`/v1/audit/verify?${query}`, 'auditor-token');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ path })] });
    expect(calls).toEqual([]);
  });

  it('still refuses a caller without the role or a token for every namespace first, whatever the query', async () => {
    const { calls, get } = recorded(() => page);
    for (const token of ['team-auditor-token', 'alice-token']) {
      expect((await get('/v1/audit/verify?limit=0', token)).statusCode).toBe(403);
      expect((await get('/v1/audit/verify?continue=abc', token)).statusCode).toBe(403);
    }
    expect(calls).toEqual([]);
  });
});

describe('GET /v1/correlations/{correlationId}, a page at a time', () => {
  const found = {
    correlationId: 'c-1',
    requests: [],
    runs: [{ id: 'r', type: 'AgentRun', namespace: 'team-a', name: 'r', phase: 'Pending' }],
  };

  it("asks for a page of 100 by default within the caller's namespaces, and passes limit and continue on", async () => {
    const { calls, get } = recorded(() => ({ ...found, continue: 'more' }));
    const res = await get('/v1/correlations/c-1', 'alice-token');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ continue: 'more' });
    await get('/v1/correlations/c-1?limit=1000&continue=more', 'alice-token');
    expect(calls).toEqual([
      { def: RPCS.correlation, request: { limit: 100, correlationId: 'c-1', namespaces: ['team-a'] } },
      { def: RPCS.correlation, request: { limit: 1000, continue: 'more', correlationId: 'c-1', namespaces: ['team-a'] } },
    ]);
  });

  it('looks up a correlation id as long as a request may carry (255 characters)', async () => {
    const long = 'c'.repeat(255);
    const { calls, get } = recorded(() => ({ ...found, correlationId: long }));
    const res = await get(`/v1/correlations/${long}`, 'alice-token');
    expect(res.statusCode, res.body).toBe(200);
    expect(calls).toEqual([{ def: RPCS.correlation, request: { limit: 100, correlationId: long, namespaces: ['team-a'] } }]);
  });

  it('refuses a correlation id longer than any request may carry with 400 naming path.correlationId, asking audit nothing', async () => {
    const { calls, get } = recorded(() => found);
    const res = await get(`/v1/correlations/${'c'.repeat(256)}`, 'alice-token');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'path.correlationId' }] });
    expect(calls).toEqual([]);
  });

  it.each([
    ['a limit of 0', '/v1/correlations/c-1?limit=0', 'query.limit'],
    ['a limit over 1000', '/v1/correlations/c-1?limit=1001', 'query.limit'],
    ['a limit that is not a number', '/v1/correlations/c-1?limit=ten', 'query.limit'],
    ['an empty continue token', '/v1/correlations/c-1?continue=', 'query.continue'],
    ['an unknown parameter', '/v1/correlations/c-1?namespace=team-a', 'query.namespace'],
  ])('refuses %s as a validation_failed problem naming the field', async (_what, url, path) => {
    const { calls, get } = recorded(() => found);
    const res = await get(url, 'alice-token');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ path })] });
    expect(calls).toEqual([]);
  });

  it('answers 404 when the first page is empty, and an empty later page as the end', async () => {
    const { get } = recorded(() => ({ correlationId: 'c-1', requests: [], runs: [] }));
    expect((await get('/v1/correlations/c-1', 'alice-token')).json()).toMatchObject({ code: 'not_found' });
    const later = await get('/v1/correlations/c-1?continue=abc', 'alice-token');
    expect(later.statusCode).toBe(200);
    expect(later.json()).toEqual({ correlationId: 'c-1', requests: [], runs: [] });
  });
});
