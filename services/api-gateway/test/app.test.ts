import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { GatewayDeps } from '../src/deps.js';
import { RPCS } from '@jangar/contracts';
import type { AnyRpc } from '@jangar/service-kit';
import { Authenticator } from '../src/auth.js';
import { memoryBus, testApp } from './fake-deps.js';

const app = testApp;

const auth = { authorization: 'Bearer alice-token' };
const validRun = {
  metadata: { namespace: 'team-a' },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'x' } } },
};

describe('gateway HTTP behaviour', () => {
  it('answers 401 problem+json without a bearer token', async () => {
    const res = await app().inject({ method: 'POST', url: '/v1/agent-runs', payload: validRun });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'unauthorized', status: 401, type: 'https://jangar.proompteng.ai/problems/unauthorized' });
  });

  it('requires a deliveryId on every create', async () => {
    const res = await app().inject({ method: 'POST', url: '/v1/agent-runs', headers: auth, payload: validRun });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'delivery_id_required', errors: [{ path: 'deliveryId' }] });
  });

  it('refuses a create that sets a label or annotation only Jangar sets, naming each, and leaves the user its other jangar.proompteng.ai/ keys', async () => {
    const metadata = {
      namespace: 'team-a',
      labels: { 'jangar.proompteng.ai/step': 'build', team: 'a' },
      annotations: { 'jangar.proompteng.ai/traceparent': '00-forged', 'jangar.proompteng.ai/sim-scenario': 'stuck' },
    };
    const res = await app().inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: auth,
      payload: { ...validRun, deliveryId: 'owned', metadata },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: 'metadata.labels.jangar.proompteng.ai/step' }, { path: 'metadata.annotations.jangar.proompteng.ai/traceparent' }],
    });
    expect(res.json().errors).toHaveLength(2);
  });

  it('refuses to evaluate a create that sets a key only Jangar sets, as the create itself would be refused', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/v1/policy/evaluate',
      headers: auth,
      payload: {
        ...validRun,
        kind: 'AgentRun',
        metadata: { namespace: 'team-a', labels: { 'jangar.proompteng.ai/orchestration-run': 'other' } },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: 'metadata.labels.jangar.proompteng.ai/orchestration-run' }],
    });
  });

  it('answers 413, and calls nothing, for an evaluation whose message the bus would refuse', async () => {
    const called: string[] = [];
    const evaluator = testApp({
      maxMessageBytes: () => 2_000,
      call: (async (def: AnyRpc) => (called.push(def.subject), { verdict: 'allow' })) as GatewayDeps['call'],
    });
    const evaluate = (text: string) =>
      evaluator.inject({
        method: 'POST',
        url: '/v1/policy/evaluate',
        headers: auth,
        payload: { ...validRun, kind: 'AgentRun', spec: { ...validRun.spec, implementation: { inline: { text } } } },
      });

    const over = await evaluate('x'.repeat(2_500));
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ code: 'payload_too_large', errors: [{ path: 'body' }] });
    expect(called).toEqual([]);
    expect((await evaluate('x')).statusCode).toBe(200);
    expect(called).toEqual([RPCS.evaluatePolicy.subject]);
  });

  it('takes the deliveryId from the Idempotency-Key header', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, 'idempotency-key': 'k-1' },
      payload: validRun,
    });
    expect(res.statusCode).toBe(201);
  });

  it('refuses a body deliveryId that differs from the header', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, 'idempotency-key': 'k-1' },
      payload: { ...validRun, deliveryId: 'k-2' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_delivery_id');
  });

  it.each(['', 'has space', 'x'.repeat(256), 'slash/inside'])('refuses the malformed deliveryId %j', async (deliveryId) => {
    const res = await app().inject({ method: 'POST', url: '/v1/agent-runs', headers: auth, payload: { ...validRun, deliveryId } });
    expect(res.statusCode).toBe(400);
  });

  it('refuses an X-Correlation-Id that is too long', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, 'idempotency-key': 'k-corr', 'x-correlation-id': 'c'.repeat(256) },
      payload: validRun,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'header.X-Correlation-Id', message: expect.any(String) }]);
  });

  it('answers 413 problem+json for an oversized body', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(10_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('payload_too_large');
  });

  it('answers 413, and claims nothing, for a body within the limit whose message the bus would refuse', async () => {
    const claimed: string[] = [];
    const deliveries = { claim: async (d: { deliveryId: string }) => (claimed.push(d.deliveryId), { claimed: true }) } as never;
    const bus = testApp({ deliveries, maxMessageBytes: () => 2_000 });
    const run = (deliveryId: string, text: string) => ({
      ...validRun,
      deliveryId,
      spec: { ...validRun.spec, implementation: { inline: { text } } },
    });
    const headers = { ...auth, 'content-type': 'application/json' };
    const post = (deliveryId: string, textBytes: number) =>
      bus.inject({ method: 'POST', url: '/v1/agent-runs', headers, payload: JSON.stringify(run(deliveryId, 'x'.repeat(textBytes))) });

    const over = await post('big', 2_500);
    expect(over.statusCode).toBe(413);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(over.json()).toMatchObject({ code: 'payload_too_large', errors: [{ path: 'body' }] });
    // Sent without a length (chunked), the body is measured all the same.
    const chunked = await bus.inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...headers, 'transfer-encoding': 'chunked' },
      payload: Readable.from([JSON.stringify(run('big-chunked', 'x'.repeat(2_500)))]),
    });
    expect(chunked.statusCode).toBe(413);
    expect(claimed).toEqual([]);

    const fits = await post('small', 100);
    expect(fits.statusCode).toBe(201);
    expect(claimed).toEqual(['small']);
  });

  it('answers a retry that reopens a 429 as a first request: a 202 naming the run when its outcome is slower than the wait', async () => {
    // Attempt 1 is refused "not now"; every later attempt is still being decided when the wait ends.
    const bus = memoryBus((m) =>
      m.attempt === 1 ? { status: 429, contentType: 'application/problem+json', body: '{"code":"concurrency_limit"}' } : undefined,
    );
    const limited = testApp({ deliveries: bus.deliveries, publishAndWait: bus.publishAndWait });
    const send = (prefer?: string) =>
      limited.inject({
        method: 'POST',
        url: '/v1/agent-runs',
        headers: { ...auth, ...(prefer ? { prefer } : {}) },
        payload: { ...validRun, deliveryId: 'limited' },
      });

    expect((await send()).statusCode).toBe(429);
    const retry = await send();
    expect(retry.statusCode).toBe(202);
    const { id } = retry.json();
    expect(id).toBe(bus.published[0]!.payload.id);
    expect(retry.headers.location).toBe(`/v1/runs/${id}`);
    expect(bus.published.map((m) => m.attempt)).toEqual([1, 2]);

    // The same with respond-async, once attempt 2 too was told "not now".
    const row = [...bus.rows.values()][0]!;
    Object.assign(row, { state: 'retryable', statusCode: 429, contentType: 'application/problem+json', responseBody: '{}' });
    const async = await send('respond-async');
    expect(async.statusCode).toBe(202);
    expect(async.headers['preference-applied']).toBe('respond-async');
    expect(async.json()).toMatchObject({ id, status: 'Accepted', deliveryId: 'limited' });
  });

  it('answers 400, not 500, for malformed JSON', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"broken',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, 'content-type': 'text/xml' },
      payload: '<x/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('unsupported_media_type');
  });

  // Found by fuzzing: fastify parses text/plain itself, so the handlers saw a string and said 400.
  it('answers 415 for a text/plain body, which fastify would otherwise parse', async () => {
    const res = await app().inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: '[]',
    });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('unsupported_media_type');
  });

  // Found by fuzzing: a broken percent-escape failed in fastify's router, before the error
  // handler, and answered fastify's own JSON instead of a problem.
  it.each(['/v1/agents/%C0%AF/coder', '/v1/workspaces/%/d8/revisions'])(
    'answers a URL with a broken percent-escape (%s) with 400 problem+json',
    async (url) => {
      const res = await app().inject({ method: 'GET', url, headers: auth });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'validation_failed', status: 400 });
    },
  );

  // Found by review: `?namespace=` passed the caller's scope as "no namespace" and the audit
  // service then read events of the namespace "", answering 200 with nothing.
  it.each(['namespace', 'actor', 'action', 'resource', 'continue'])('refuses an empty audit filter %s with 400 naming it', async (name) => {
    const res = await app().inject({ method: 'GET', url: `/v1/audit?${name}=`, headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: `query.${name}` }] });
  });

  // Found by fuzzing: a NUL in a path parameter reached the audit service's Postgres query and
  // came back as a 500; Postgres text and jsonb cannot hold one, and no valid field does.
  it.each([
    ['a path parameter', 'GET', '/v1/agents/team-a/%00/revisions', undefined, 'path.name'],
    ['a query value', 'GET', '/v1/audit?actor=a%00b', undefined, 'query.actor'],
    [
      'an annotation in a body',
      'POST',
      '/v1/agent-runs',
      { ...validRun, deliveryId: 'nul', metadata: { namespace: 'team-a', annotations: { note: 'a\u0000b' } } },
      'metadata.annotations.note',
    ],
  ])('refuses a NUL character in %s with 400 naming where it was', async (_what, method, url, payload, path) => {
    const res = await app().inject({ method: method as 'GET' | 'POST', url, headers: auth, ...(payload ? { payload } : {}) });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ path }] });
  });

  // Found by fuzzing: a merge patch's spec is free-form, so a few thousand levels of nesting got
  // past validation and overflowed the stack while the request was fingerprinted — a 500.
  const nested = (levels: number, leaf: unknown = 'leaf') => {
    let value = leaf;
    for (let i = 0; i < levels; i++) value = { spec: value };
    return value as Record<string, unknown>;
  };
  const specPath = (levels: number) => Array.from({ length: levels }, () => 'spec').join('.');

  it.each([
    ['a merge patch a few thousand levels deep', 'PATCH', '/v1/agents/team-a/coder', nested(3_000), specPath(100)],
    [
      'a free-form field one level too deep',
      'POST',
      '/v1/agents',
      {
        deliveryId: 'deep',
        metadata: { namespace: 'team-a', name: 'coder' },
        spec: { providerRef: { name: 'codex' }, config: nested(99) },
      },
      `spec.config.${specPath(98)}`,
    ],
  ])('refuses %s with 400 naming the first level past the limit', async (_what, method, url, payload, path) => {
    // A body limit the few thousand levels fit in (about 30 KB).
    const res = await app({ config: { JANGAR_BODY_LIMIT_BYTES: 1024 * 1024, JANGAR_WAIT_MS: 2_000 } as GatewayDeps['config'] }).inject({
      method: method as 'PATCH' | 'POST',
      url,
      headers: {
        ...auth,
        'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
        'idempotency-key': 'deep',
      },
      payload: JSON.stringify(payload),
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ path, message: 'must not nest deeper than 100 levels' }] });
  });

  it('takes a body nested exactly as deep as the limit', async () => {
    const spec = { providerRef: { name: 'codex' }, config: nested(97) };
    const res = await app().inject({
      method: 'POST',
      url: '/v1/agents',
      headers: auth,
      payload: { deliveryId: 'at-limit', metadata: { namespace: 'team-a', name: 'coder' }, spec },
    });
    expect(res.statusCode).toBe(201);
  });

  it('answers 202 with a Location when the outcome is slower than the wait budget', async () => {
    const res = await app({ publishAndWait: async () => undefined }).inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: auth,
      payload: { ...validRun, deliveryId: 'slow' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe(`/v1/runs/${res.json().id}`);
  });

  it('never shows an internal error to the client', async () => {
    const res = await app({ publishAndWait: async () => Promise.reject(new Error('secret connection string postgres://u:p@h')) }).inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: auth,
      payload: { ...validRun, deliveryId: 'boom' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('postgres://');
    expect(res.json().code).toBe('internal');
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const res = await app().inject({ method: 'GET', url: '/v1/nothing', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });
});

describe('the dev token', () => {
  const list = (host: string) =>
    app().inject({ method: 'GET', url: '/v1/agents?namespace=team-a', headers: { authorization: 'Bearer dev-token', host } });

  it.each(['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'LOCALHOST'])('is good for a request addressed to %s', async (host) => {
    expect((await list(host)).statusCode).not.toBe(401);
  });

  it.each(['rebind.attacker.example:8080', '127.0.0.1.nip.io', 'localhost.attacker.example'])(
    'is refused with 401 for a request addressed to "%s", as a page whose name was rebound to 127.0.0.1 sends it',
    async (host) => {
      const res = await list(host);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'unauthorized', detail: expect.stringContaining('localhost') });
    },
  );

  it('leaves other tokens alone, whatever the host', async () => {
    const res = await app().inject({
      method: 'GET',
      url: '/v1/agents?namespace=team-a',
      headers: { authorization: 'Bearer alice-token', host: 'jangar.example.com' },
    });
    expect(res.statusCode).not.toBe(401);
  });
});

describe('verifying the audit log', () => {
  const tokens = [
    { token: 'team-auditor-token', subject: 'carol', namespaces: ['team-a'], roles: ['auditor'] },
    { token: 'global-auditor-token', subject: 'dana', namespaces: ['*'], roles: ['auditor'] },
  ];
  const verify = (token: string) =>
    app({
      auth: new Authenticator(JSON.stringify(tokens), undefined),
      call: (async (def: AnyRpc) => {
        if (def !== RPCS.verifyAudit) throw new Error(`unexpected ${def.subject}`);
        return { intact: true, checked: 42 };
      }) as GatewayDeps['call'],
    }).inject({ method: 'GET', url: '/v1/audit/verify', headers: { authorization: `Bearer ${token}` } });

  it('answers an auditor whose token reads every namespace', async () => {
    const res = await verify('global-auditor-token');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ intact: true, checked: 42 });
  });

  it("refuses an auditor bound to some namespaces: the answer counts and names other namespaces' events", async () => {
    const res = await verify('team-auditor-token');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('every namespace') });
  });
});
