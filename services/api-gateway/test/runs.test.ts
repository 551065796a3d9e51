import { describe, expect, it, vi } from 'vitest';
import { RPCS, type NormalizedRun } from '@jangar/contracts';
import { DomainError, type AnyRpc } from '@jangar/service-kit';
import type { GatewayDeps } from '../src/deps.js';
import { isLaterVersion } from '../src/routes/run-events.js';
import { Authenticator } from '../src/auth.js';
import { memoryBus, testApp } from './fake-deps.js';

const auth = { authorization: 'Bearer alice-token' };

const run = (over: Partial<NormalizedRun> = {}): NormalizedRun => ({
  id: '11111111-1111-1111-1111-111111111111',
  type: 'AgentRun',
  namespace: 'team-a',
  name: 'r1',
  uid: 'u1',
  resourceVersion: '10',
  labels: {},
  phase: 'Running',
  conditions: [],
  createdAt: '2026-11-25T00:00:00Z',
  updatedAt: '2026-11-25T00:00:01Z',
  ...over,
});

/** Records the RPC calls; list and get answer from the given values. */
function recording(answers: { get?: NormalizedRun; history?: unknown } = {}) {
  const calls: Array<{ def: AnyRpc; request: unknown }> = [];
  const call = (async (def: AnyRpc, request: unknown) => {
    calls.push({ def, request });
    if (def === RPCS.listRuns) return { items: [] };
    if (def === RPCS.getRun && answers.get) return answers.get;
    if (def === RPCS.runHistory && answers.history) return answers.history;
    throw new DomainError('not_found', 'nothing here');
  }) as GatewayDeps['call'];
  return { calls, call };
}

describe('GET /v1/runs', () => {
  it('passes the parsed filters and the caller scope to the aggregator', async () => {
    const { calls, call } = recording();
    const res = await testApp({ call }).inject({
      method: 'GET',
      url: '/v1/runs?type=AgentRun&phase=Running,Succeeded&labelSelector=app%20in%20(a,b),!old&limit=5',
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [] });
    expect(calls[0]?.request).toEqual({
      type: 'AgentRun',
      phase: ['Running', 'Succeeded'],
      labelSelector: 'app in (a,b),!old',
      limit: 5,
      namespaces: ['team-a'],
    });
  });

  it('defaults the page size to 50', async () => {
    const { calls, call } = recording();
    await testApp({ call }).inject({ method: 'GET', url: '/v1/runs', headers: auth });
    expect(calls[0]?.request).toMatchObject({ limit: 50 });
  });

  it('refuses a bad label selector naming the failing requirement', async () => {
    const res = await testApp().inject({ method: 'GET', url: '/v1/runs?labelSelector=app%3Dx,tier%20in%20(a', headers: auth });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('invalid_label_selector');
    expect(body.detail).toContain('"tier in (a"');
    expect(body.errors).toEqual([{ path: 'query.labelSelector', message: expect.stringContaining('tier in (a') }]);
  });

  it.each([
    ['a phase that does not exist', 'phase=Running,Done', 'query.phase'],
    ['an empty phase', 'phase=', 'query.phase'],
    ['an unknown type', 'type=Job', 'query.type'],
    ['a limit of 0', 'limit=0', 'query.limit'],
    ['a limit over 500', 'limit=501', 'query.limit'],
    ['a limit that is not a number', 'limit=ten', 'query.limit'],
    ['an unknown parameter', 'label=app', 'query.label'],
  ])('refuses %s', async (_what, query, path) => {
    const res = await testApp().inject({ method: 'GET', url: `/v1/runs?${query}`, headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ path })] });
  });

  it("forbids a namespace outside the token's", async () => {
    const res = await testApp().inject({ method: 'GET', url: '/v1/runs?namespace=team-b', headers: auth });
    expect(res.statusCode).toBe(403);
  });
});

describe('GET /v1/runs/{id}/events', () => {
  it('answers 404 for a run of another namespace', async () => {
    const { call } = recording({ get: run({ namespace: 'team-b' }) });
    const res = await testApp({ call }).inject({ method: 'GET', url: `/v1/runs/${run().id}/events`, headers: auth });
    expect(res.statusCode).toBe(404);
  });

  it('refuses unknown query parameters', async () => {
    const res = await testApp().inject({ method: 'GET', url: `/v1/runs/${run().id}/events?since=1`, headers: auth });
    expect(res.statusCode).toBe(400);
  });

  it('sends the current state, the live changes in order without duplicates, and ends after a terminal phase', async () => {
    const { call } = recording({ get: run() });
    let unsubscribed = false;
    const subscribe: GatewayDeps['subscribe'] = async (_subject, onMessage) => {
      const publish = (r: NormalizedRun) => onMessage({ occurredAt: r.updatedAt, payload: { run: r } });
      // Delivered after the stream opened: a duplicate of the current state, a change, an old version, the end.
      setImmediate(() => {
        publish(run());
        publish(run({ resourceVersion: '11', phase: 'Running' }));
        publish(run({ resourceVersion: '9', phase: 'Pending' }));
        publish(run({ resourceVersion: '12', phase: 'Succeeded' }));
      });
      return () => {
        unsubscribed = true;
      };
    };
    const res = await testApp({ call, subscribe }).inject({ method: 'GET', url: `/v1/runs/${run().id}/events`, headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = res.body
      .split('\n\n')
      .filter((e) => e.startsWith('id:'))
      .map((e) => e.split('\n'));
    expect(events.map((lines) => lines[0])).toEqual(['id: 10', 'id: 11', 'id: 12']);
    expect(events.every((lines) => lines[1] === 'event: status')).toBe(true);
    expect(JSON.parse(events[2]![2]!.slice('data: '.length))).toMatchObject({ phase: 'Succeeded', resourceVersion: '12' });
    expect(unsubscribed).toBe(true);
  });

  it('sends a change of the provider alone, which keeps its version, once', async () => {
    const { call } = recording({ get: run() });
    const moved = run({ provider: { type: 'job', phase: 'Running', message: '1 pod' } });
    const subscribe: GatewayDeps['subscribe'] = async (_subject, onMessage) => {
      const publish = (r: NormalizedRun) => onMessage({ occurredAt: r.updatedAt, payload: { run: r } });
      // The current state again, the provider's move, a second copy of it (another replica), the end.
      setImmediate(() => {
        publish(run());
        publish(moved);
        publish(moved);
        publish(run({ resourceVersion: '11', phase: 'Succeeded' }));
      });
      return () => undefined;
    };
    const res = await testApp({ call, subscribe }).inject({ method: 'GET', url: `/v1/runs/${run().id}/events`, headers: auth });
    const events = res.body
      .split('\n\n')
      .filter((e) => e.startsWith('id:'))
      .map((e) => e.split('\n'));
    expect(events.map((lines) => lines[0])).toEqual(['id: 10', 'id: 10', 'id: 11']);
    expect(JSON.parse(events[1]![2]!.slice('data: '.length))).toMatchObject({ resourceVersion: '10', provider: { message: '1 pod' } });
  });

  it('sends a change of the provider alone to a stream resumed at the version the run still has', async () => {
    const { call } = recording({ get: run() });
    const subscribe: GatewayDeps['subscribe'] = async (_subject, onMessage) => {
      const publish = (r: NormalizedRun) => onMessage({ occurredAt: r.updatedAt, payload: { run: r } });
      setImmediate(() => {
        publish(run({ provider: { type: 'job', phase: 'Running', message: '1 pod' } }));
        publish(run({ resourceVersion: '11', phase: 'Succeeded' }));
      });
      return () => undefined;
    };
    const res = await testApp({ call, subscribe }).inject({
      method: 'GET',
      url: `/v1/runs/${run().id}/events`,
      headers: { ...auth, 'last-event-id': '10' },
    });
    const ids = res.body
      .split('\n\n')
      .filter((e) => e.startsWith('id:'))
      .map((e) => e.split('\n')[0]);
    expect(ids).toEqual(['id: 10', 'id: 11']);
  });

  it('lets go of its subscription when the client left while the run was being read', async () => {
    let socketClosed!: () => void;
    const closed = new Promise<void>((resolve) => (socketClosed = resolve));
    let reads = 0;
    const call = (async (def: AnyRpc) => {
      if (def !== RPCS.getRun) throw new DomainError('not_found', 'nothing here');
      // The second read (after subscribing) answers only once the client has gone.
      if (++reads === 2) await closed;
      return run();
    }) as GatewayDeps['call'];
    let unsubscribed = false;
    const subscribe: GatewayDeps['subscribe'] = async () => () => {
      unsubscribed = true;
    };
    const app = testApp({ call, subscribe });
    app.addHook('onRequest', async (req) => {
      req.raw.socket.once('close', () => socketClosed());
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const client = new AbortController();
      const response = fetch(`${url}/v1/runs/${run().id}/events`, { headers: auth, signal: client.signal }).catch(() => undefined);
      await vi.waitFor(() => expect(reads).toBe(2), { timeout: 5_000 });
      client.abort();
      await response;
      await vi.waitFor(() => expect(unsubscribed).toBe(true), { timeout: 5_000 });
    } finally {
      await app.close();
    }
  });

  it('replays recorded transitions after Last-Event-ID, then closes at the terminal state', async () => {
    const history = {
      id: run().id,
      namespace: 'team-a',
      type: 'AgentRun',
      name: 'r1',
      items: [
        { phase: 'Pending', resourceVersion: '5', conditions: [], observedAt: '2026-11-25T00:00:00Z' },
        { phase: 'Running', resourceVersion: '7', conditions: [], observedAt: '2026-11-25T00:00:01Z' },
        { phase: 'Succeeded', resourceVersion: '9', conditions: [], observedAt: '2026-11-25T00:00:02Z' },
      ],
    };
    const { call } = recording({ get: run({ resourceVersion: '9', phase: 'Succeeded' }), history });
    const res = await testApp({ call }).inject({
      method: 'GET',
      url: `/v1/runs/${run().id}/events`,
      headers: { ...auth, 'last-event-id': '5' },
    });
    expect(res.body.match(/^id: .*$/gm)).toEqual(['id: 7', 'id: 9']);
  });

  it('replays from every page of a history too long for one', async () => {
    const entry = (phase: string, resourceVersion: string) => ({
      phase,
      resourceVersion,
      conditions: [],
      observedAt: '2026-11-25T00:00:00Z',
    });
    const pages: Record<string, unknown> = {
      first: {
        id: run().id,
        namespace: 'team-a',
        type: 'AgentRun',
        name: 'r1',
        items: [entry('Pending', '5'), entry('Running', '7')],
        continue: 'p2',
      },
      p2: { id: run().id, namespace: 'team-a', type: 'AgentRun', name: 'r1', items: [entry('Succeeded', '9')] },
    };
    const asked: unknown[] = [];
    const call = (async (def: AnyRpc, request: { continue?: string }) => {
      if (def === RPCS.getRun) return run({ resourceVersion: '9', phase: 'Succeeded' });
      if (def === RPCS.runHistory) return (asked.push(request), pages[request.continue ?? 'first']);
      throw new DomainError('not_found', 'nothing here');
    }) as GatewayDeps['call'];
    const res = await testApp({ call }).inject({
      method: 'GET',
      url: `/v1/runs/${run().id}/events`,
      headers: { ...auth, 'last-event-id': '5' },
    });
    expect(res.body.match(/^id: .*$/gm)).toEqual(['id: 7', 'id: 9']);
    expect(asked).toEqual([
      { id: run().id, limit: 500 },
      { id: run().id, limit: 500, continue: 'p2' },
    ]);
  });

  it('asks audit for a page of the history, and refuses a page size out of range', async () => {
    const history = { id: run().id, namespace: 'team-a', type: 'AgentRun', name: 'r1', items: [] };
    const { calls, call } = recording({ history });
    const app = testApp({ call });
    expect((await app.inject({ method: 'GET', url: `/v1/runs/${run().id}/history?limit=2&continue=tok`, headers: auth })).statusCode).toBe(
      200,
    );
    expect(calls.map((c) => c.request)).toEqual([{ id: run().id, limit: 2, continue: 'tok' }]);
    const bad = await app.inject({ method: 'GET', url: `/v1/runs/${run().id}/history?limit=0`, headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'query.limit' }] });
  });
});

describe('resourceVersion order', () => {
  it('compares integer versions numerically', () => {
    expect(isLaterVersion('10', '9')).toBe(true);
    expect(isLaterVersion('9', '10')).toBe(false);
    expect(isLaterVersion('9', '9')).toBe(false);
    expect(isLaterVersion('1', undefined)).toBe(true);
  });
});

describe('a run accepted but not created yet', () => {
  const runBody = (deliveryId: string) => ({
    deliveryId,
    metadata: { namespace: 'team-a' },
    spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'x' } } },
  });
  /** The gateway in front of a bus whose outcomes are all slower than any wait. */
  const slowBus = (overrides: Partial<GatewayDeps> = {}) => {
    const bus = memoryBus(() => undefined);
    const tokens = [
      { token: 'alice-token', subject: 'alice', namespaces: ['team-a'] },
      { token: 'bob-token', subject: 'bob', namespaces: ['team-b'] },
    ];
    const { calls, call } = recording();
    const app = testApp({
      deliveries: bus.deliveries,
      publishAndWait: bus.publishAndWait,
      call,
      auth: new Authenticator(JSON.stringify(tokens), undefined),
      ...overrides,
    });
    return { bus, app, calls };
  };

  it('answers 202 at once for Prefer: respond-async, saying the preference was applied', async () => {
    const { bus, app } = slowBus();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, prefer: 'respond-async' },
      payload: runBody('async-1'),
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['preference-applied']).toBe('respond-async');
    expect(bus.waits).toEqual([0]);
  });

  it('waits the configured budget, or less when Prefer: wait asks for less', async () => {
    const { bus, app } = slowBus();
    const post = (deliveryId: string, prefer?: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/agent-runs',
        headers: { ...auth, ...(prefer ? { prefer } : {}) },
        payload: runBody(deliveryId),
      });
    const plain = await post('wait-1');
    expect(plain.statusCode).toBe(202);
    expect(plain.headers['preference-applied']).toBeUndefined();
    await post('wait-2', 'wait=1');
    await post('wait-3', 'wait=600');
    expect(bus.waits).toEqual([2_000, 1_000, 2_000]);
  });

  it('reads as Pending with an Accepted condition under the id of its 202, and only in its namespace', async () => {
    const { app, calls } = slowBus();
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, prefer: 'respond-async' },
      payload: runBody('async-2'),
    });
    const { id } = accepted.json<{ id: string }>();
    expect(accepted.headers.location).toBe(`/v1/runs/${id}`);
    const res = await app.inject({ method: 'GET', url: `/v1/runs/${id}`, headers: auth });
    expect(res.statusCode).toBe(200);
    const view = res.json<NormalizedRun>();
    expect(view).toMatchObject({
      id,
      type: 'AgentRun',
      namespace: 'team-a',
      phase: 'Pending',
      uid: '',
      resourceVersion: '',
      deliveryId: 'async-2',
    });
    expect(view.name).toMatch(/\S/);
    expect(view.conditions).toEqual([expect.objectContaining({ type: 'Accepted', status: 'True', reason: 'Submitted' })]);
    // The aggregator knows nothing of a run not created yet, so it is not asked.
    expect(calls).toEqual([]);

    const bob = { authorization: 'Bearer bob-token' };
    expect((await app.inject({ method: 'GET', url: `/v1/runs/${id}`, headers: bob })).statusCode).toBe(404);
  });

  /** The status events of an SSE body: each one's id (undefined when it has none) and its run. */
  const eventsOf = (body: string) =>
    body
      .split('\n\n')
      .filter((e) => e.includes('event: status'))
      .map((e) => ({ id: /^id: (.*)$/m.exec(e)?.[1], run: JSON.parse(/^data: (.*)$/m.exec(e)![1]!) as NormalizedRun }));

  const acceptAsync = async (app: ReturnType<typeof testApp>, deliveryId: string) => {
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/agent-runs',
      headers: { ...auth, prefer: 'respond-async' },
      payload: runBody(deliveryId),
    });
    return accepted.json<{ id: string }>().id;
  };

  it('streams its Pending view, then the run once created, by its id, to the end', async () => {
    let id = '';
    const subscribe: GatewayDeps['subscribe'] = async (_subject, onMessage) => {
      const publish = (r: NormalizedRun) => onMessage({ occurredAt: r.updatedAt, payload: { run: r } });
      setImmediate(() => {
        // Another run that once had the name, then this one, created.
        publish(run({ id: '22222222-2222-2222-2222-222222222222', uid: 'old', resourceVersion: '2', phase: 'Failed' }));
        publish(run({ id, uid: 'u1', resourceVersion: '3', phase: 'Running' }));
        publish(run({ id, uid: 'u1', resourceVersion: '4', phase: 'Succeeded' }));
      });
      return () => undefined;
    };
    const { app } = slowBus({ subscribe });
    id = await acceptAsync(app, 'async-events-1');
    const res = await app.inject({ method: 'GET', url: `/v1/runs/${id}/events`, headers: auth });
    expect(res.statusCode).toBe(200);
    expect(eventsOf(res.body).map((e) => [e.id, e.run.id, e.run.phase])).toEqual([
      [undefined, id, 'Pending'],
      ['3', id, 'Running'],
      ['4', id, 'Succeeded'],
    ]);
  });

  it('ends the stream of a run refused before it was created with the refusal, which no status message tells', async () => {
    const { app, bus } = slowBus();
    const id = await acceptAsync(app, 'async-events-2');
    const row = [...bus.rows.values()].find((r) => r.resourceId === id)!;
    const streaming = app.inject({ method: 'GET', url: `/v1/runs/${id}/events`, headers: auth });
    // Policy turns it away after the stream opened: the delivery now holds the refusal.
    setImmediate(() =>
      Object.assign(row, {
        state: 'completed',
        statusCode: 403,
        contentType: 'application/problem+json',
        responseBody: JSON.stringify({ code: 'policy_denied', detail: 'denied by guardrail "no-jobs"' }),
        completedAt: new Date(),
      }),
    );
    const res = await streaming;
    expect(eventsOf(res.body).map((e) => [e.id, e.run.phase])).toEqual([
      [undefined, 'Pending'],
      [undefined, 'Failed'],
    ]);
    expect(eventsOf(res.body)[1]!.run.conditions).toEqual([expect.objectContaining({ type: 'Failed', status: 'True' })]);
  });
});
