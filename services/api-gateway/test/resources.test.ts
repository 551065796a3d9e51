import { describe, expect, it } from 'vitest';
import { JANGAR_LABELS, RPCS, type KubeObject, type RequestMessage, type ResourceView } from '@jangar/contracts';
import { DomainError, type AnyRpc } from '@jangar/service-kit';
import type { GatewayDeps } from '../src/deps.js';
import { responseForOutcome } from '../src/responses.js';
import { memoryBus, testApp } from './fake-deps.js';

const alice = { authorization: 'Bearer alice-token' };
const MERGE_PATCH = 'application/merge-patch+json';
const ID = '11111111-1111-1111-1111-111111111111';

/** An Agent as the cluster holds it, at resourceVersion 7. */
const stored = (over: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'agents.proompteng.ai/v1alpha1',
  kind: 'Agent',
  metadata: {
    name: 'coder',
    namespace: 'team-a',
    uid: 'u-1',
    resourceVersion: '7',
    creationTimestamp: '2026-11-25T00:00:00Z',
    labels: { [JANGAR_LABELS.id]: ID, tier: 'gold' },
    ...over,
  },
  spec: { providerRef: { name: 'codex' } },
  status: {},
});

const view: ResourceView = {
  id: ID,
  kind: 'Agent',
  apiVersion: 'agents.proompteng.ai/v1alpha1',
  metadata: { name: 'coder', namespace: 'team-a', uid: 'u-1', resourceVersion: '7', creationTimestamp: '2026-11-25T00:00:00Z', labels: {} },
  spec: { providerRef: { name: 'codex' } },
  status: {},
};

/** The answer the gateway stores when the provisioner applied `message` and the object became `resource`. */
const appliedAnswer = (message: RequestMessage, resource = stored(), deletion?: 'pending' | 'completed') =>
  responseForOutcome({
    result: 'applied',
    id: ID,
    kind: message.payload.kind,
    verb: message.payload.verb,
    created: false,
    resource,
    ...(deletion ? { deletion } : {}),
  });

/** The answer the gateway stores when the provisioner refused `message`. */
const rejectedAnswer = (
  message: RequestMessage,
  error: { code: string; detail: string; errors?: Array<{ path: string; message: string }> },
) => responseForOutcome({ result: 'rejected', id: message.payload.id, kind: message.payload.kind, verb: message.payload.verb, error });

/** Records the RPC calls; reads answer with the Agent above, unless `fail` says otherwise. */
function recordingCall(fail?: DomainError) {
  const calls: Array<{ def: AnyRpc; request: unknown }> = [];
  const call = (async (def: AnyRpc, request: unknown) => {
    calls.push({ def, request });
    if (fail) throw fail;
    if (def === RPCS.listResources) return { items: [view] };
    if (def === RPCS.getResource) return view;
    throw new DomainError('not_found', 'nothing here');
  }) as GatewayDeps['call'];
  return { calls, call };
}

/** An app whose bus applies every request (unless `answer` says otherwise) and remembers what was published. */
function busApp(answer: (message: RequestMessage) => ReturnType<typeof appliedAnswer> | undefined = (m) => appliedAnswer(m)) {
  const bus = memoryBus(answer);
  return { bus, app: testApp({ deliveries: bus.deliveries, publishAndWait: bus.publishAndWait }) };
}

const putBody = (over: Record<string, unknown> = {}) => ({
  metadata: { resourceVersion: '7', labels: { tier: 'gold' } },
  spec: { providerRef: { name: 'codex' } },
  ...over,
});

describe('GET /v1/<route>', () => {
  it('passes the caller scope and the parsed filters to the provisioner', async () => {
    const { calls, call } = recordingCall();
    const res = await testApp({ call }).inject({
      method: 'GET',
      url: '/v1/agent-runs?namespace=team-a&phase=Running,Succeeded&labelSelector=app%20in%20(a,b),!old&limit=5&continue=abc',
      headers: alice,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [view] });
    expect(calls).toEqual([
      {
        def: RPCS.listResources,
        request: {
          kind: 'AgentRun',
          namespace: 'team-a',
          phase: ['Running', 'Succeeded'],
          labelSelector: 'app in (a,b),!old',
          limit: 5,
          continue: 'abc',
          namespaces: ['team-a'],
        },
      },
    ]);
  });

  it('defaults the page size to 50 and sends no phase filter when none is asked for', async () => {
    const { calls, call } = recordingCall();
    await testApp({ call }).inject({ method: 'GET', url: '/v1/agents', headers: alice });
    expect(calls[0]?.request).toEqual({ kind: 'Agent', limit: 50, namespaces: ['team-a'] });
  });

  it('takes repeated phase parameters as one list', async () => {
    const { calls, call } = recordingCall();
    const res = await testApp({ call }).inject({ method: 'GET', url: '/v1/budgets?phase=Ready&phase=Exceeded,Invalid', headers: alice });
    expect(res.statusCode).toBe(200);
    expect(calls[0]?.request).toMatchObject({ kind: 'Budget', phase: ['Ready', 'Exceeded', 'Invalid'] });
  });

  it('serves an alias route as the same kind', async () => {
    const { calls, call } = recordingCall();
    const res = await testApp({ call }).inject({ method: 'GET', url: '/v1/orchestration-runs?phase=Pending', headers: alice });
    expect(res.statusCode).toBe(200);
    expect(calls[0]?.request).toMatchObject({ kind: 'OrchestrationRun', phase: ['Pending'] });
  });

  it('answers 400 naming query.phase for a phase the kind does not have', async () => {
    const { calls, call } = recordingCall();
    // Running is a phase of runs, not of an AgentProvider (Ready, Invalid).
    const res = await testApp({ call }).inject({ method: 'GET', url: '/v1/agent-providers?phase=Ready,Running', headers: alice });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.code).toBe('validation_failed');
    expect(body.errors).toEqual([{ path: 'query.phase', message: expect.stringContaining('"Running"') }]);
    expect(body.errors[0].message).toContain('Ready, Invalid');
    expect(calls).toEqual([]);
  });

  it('answers 400 for any phase on a kind that has none', async () => {
    const res = await testApp().inject({ method: 'GET', url: '/v1/agents?phase=Ready', headers: alice });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'query.phase', message: 'this kind has no phase to filter on' }]);
  });

  it('answers 400 naming the failing token of a bad labelSelector', async () => {
    const { calls, call } = recordingCall();
    const res = await testApp({ call }).inject({ method: 'GET', url: '/v1/tools?labelSelector=app%3Dx,tier%20in%20(a', headers: alice });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('invalid_label_selector');
    expect(body.detail).toContain('"tier in (a"');
    expect(body.errors).toEqual([{ path: 'query.labelSelector', message: expect.stringContaining('tier in (a') }]);
    expect(calls).toEqual([]);
  });

  it.each([
    ['a limit of 0', 'limit=0', 'query.limit'],
    ['a limit over 500', 'limit=501', 'query.limit'],
    ['a limit that is not a number', 'limit=ten', 'query.limit'],
    ['an empty continue token', 'continue=', 'query.continue'],
    ['an unknown parameter', 'type=AgentRun', 'query.type'],
  ])('refuses %s with 400', async (_what, query, path) => {
    const res = await testApp().inject({ method: 'GET', url: `/v1/agent-runs?${query}`, headers: alice });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ path })] });
  });

  it("forbids listing a namespace outside the token's", async () => {
    const { calls, call } = recordingCall();
    const res = await testApp({ call }).inject({ method: 'GET', url: '/v1/agents?namespace=team-b', headers: alice });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
    expect(calls).toEqual([]);
  });

  it('scopes a token bound to every namespace to all of them', async () => {
    const { calls, call } = recordingCall();
    await testApp({ call }).inject({ method: 'GET', url: '/v1/agents?namespace=team-b', headers: { authorization: 'Bearer dev-token' } });
    expect(calls[0]?.request).toMatchObject({ namespace: 'team-b', namespaces: ['*'] });
  });

  it('needs a bearer token', async () => {
    const res = await testApp().inject({ method: 'GET', url: '/v1/agents' });
    expect(res.statusCode).toBe(401);
  });
});

describe('GET /v1/<route>/{id} and /v1/<route>/{namespace}/{name}', () => {
  it('reads one object by namespace and name within the caller scope', async () => {
    const { calls, call } = recordingCall();
    const res = await testApp({ call }).inject({ method: 'GET', url: '/v1/agents/team-a/coder', headers: alice });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(view);
    expect(calls).toEqual([
      { def: RPCS.getResource, request: { kind: 'Agent', namespace: 'team-a', name: 'coder', namespaces: ['team-a'] } },
    ]);
  });

  it('reads an object whose name is as long as Kubernetes allows (253 characters)', async () => {
    const name = `${'a'.repeat(62)}.`.repeat(4).slice(0, 252) + 'z';
    expect(name).toHaveLength(253);
    const { calls, call } = recordingCall();
    const res = await testApp({ call }).inject({ method: 'GET', url: `/v1/agents/team-a/${name}`, headers: alice });
    expect(res.statusCode, res.body).toBe(200);
    expect(calls).toEqual([{ def: RPCS.getResource, request: { kind: 'Agent', namespace: 'team-a', name, namespaces: ['team-a'] } }]);
  });

  it('reads one object by its Jangar id within the caller scope', async () => {
    const { calls, call } = recordingCall();
    const res = await testApp({ call }).inject({ method: 'GET', url: `/v1/orchestration-runs/${ID}`, headers: alice });
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([{ def: RPCS.getResource, request: { kind: 'OrchestrationRun', id: ID, namespaces: ['team-a'] } }]);
  });

  it("answers 404 problem+json for what the provisioner does not find (another namespace's object included)", async () => {
    const { call } = recordingCall(new DomainError('not_found', 'no Agent "coder" in namespace "team-b"'));
    const res = await testApp({ call }).inject({ method: 'GET', url: '/v1/agents/team-b/coder', headers: alice });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'not_found', instance: '/v1/agents/team-b/coder' });
  });

  it("asks audit for a page of a primitive's revisions, and refuses a page size out of range", async () => {
    const { calls, call } = recordingCall();
    const app = testApp({ call });
    await app.inject({ method: 'GET', url: '/v1/agents/team-a/coder/revisions?limit=2&continue=tok', headers: alice });
    expect(calls.map((c) => [c.def, c.request])).toEqual([
      [RPCS.revisions, { kind: 'Agent', namespace: 'team-a', name: 'coder', limit: 2, continue: 'tok' }],
    ]);
    const tooMany = await app.inject({ method: 'GET', url: '/v1/agents/team-a/coder/revisions?limit=501', headers: alice });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'query.limit' }] });
  });

  it('answers 503 with Retry-After when the provisioner does not answer, or cannot for now', async () => {
    const { call } = recordingCall(new DomainError('unavailable', 'provisioner did not answer'));
    const res = await testApp({ call }).inject({ method: 'GET', url: '/v1/agents', headers: alice });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ code: 'unavailable' });
  });
});

describe('PUT /v1/<route>/{namespace}/{name}', () => {
  it("publishes an update of the URL's object with the body's state and answers 200 with it", async () => {
    const { bus, app } = busApp();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...alice, 'idempotency-key': 'put-1', 'x-correlation-id': 'story-9' },
      payload: putBody({ metadata: { resourceVersion: '7', labels: { tier: 'gold' }, annotations: { note: 'x' } } }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ID, kind: 'Agent', metadata: { resourceVersion: '7' } });
    expect(bus.published).toHaveLength(1);
    const message = bus.published[0]!;
    expect(message).toMatchObject({ deliveryId: 'put-1', correlationId: 'story-9', namespace: 'team-a', principal: { subject: 'alice' } });
    expect(message.payload).toMatchObject({
      kind: 'Agent',
      verb: 'update',
      metadata: { namespace: 'team-a', name: 'coder', labels: { tier: 'gold' }, annotations: { note: 'x' }, resourceVersion: '7' },
      spec: { providerRef: { name: 'codex' } },
    });
  });

  it('takes the deliveryId from the body as well', async () => {
    const { bus, app } = busApp();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: alice,
      payload: putBody({ deliveryId: 'put-b' }),
    });
    expect(res.statusCode).toBe(200);
    expect(bus.published[0]?.deliveryId).toBe('put-b');
  });

  it('needs a deliveryId', async () => {
    const { bus, app } = busApp();
    const res = await app.inject({ method: 'PUT', url: '/v1/agents/team-a/coder', headers: alice, payload: putBody() });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'delivery_id_required', errors: [{ path: 'deliveryId' }] });
    expect(bus.published).toEqual([]);
  });

  it('refuses a PUT without metadata.resourceVersion with 400', async () => {
    const { bus, app } = busApp();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...alice, 'idempotency-key': 'put-2' },
      payload: putBody({ metadata: { labels: {} } }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'validation_failed',
      errors: [expect.objectContaining({ path: 'metadata.resourceVersion' })],
    });
    expect(bus.published).toEqual([]);
  });

  it('refuses a PUT whose body names another object than the URL', async () => {
    const { bus, app } = busApp();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...alice, 'idempotency-key': 'put-3' },
      payload: putBody({ metadata: { namespace: 'team-b', name: 'other', resourceVersion: '7' } }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'validation_failed',
      errors: [
        { path: 'metadata.namespace', message: expect.stringContaining('team-a') },
        { path: 'metadata.name', message: expect.stringContaining('coder') },
      ],
    });
    expect(bus.published).toEqual([]);
  });

  it('accepts a body that names the same object as the URL', async () => {
    const { app } = busApp();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...alice, 'idempotency-key': 'put-4' },
      payload: putBody({ metadata: { namespace: 'team-a', name: 'coder', resourceVersion: '7' } }),
    });
    expect(res.statusCode).toBe(200);
  });

  it('refuses a spec that is not valid, naming spec paths', async () => {
    const { bus, app } = busApp();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...alice, 'idempotency-key': 'put-5' },
      payload: putBody({ spec: { providerRef: {} } }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'spec.providerRef.name' })]);
    expect(bus.published).toEqual([]);
  });

  it('answers 409 conflict when the resourceVersion is stale', async () => {
    const { app } = busApp((m) =>
      rejectedAnswer(m, { code: 'conflict', detail: 'changed since 7', errors: [{ path: 'metadata.resourceVersion', message: 'stale' }] }),
    );
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...alice, 'idempotency-key': 'put-6' },
      payload: putBody(),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'conflict', errors: [{ path: 'metadata.resourceVersion' }] });
  });

  it('answers 422 naming the field of an unknown reference', async () => {
    const { app } = busApp((m) =>
      rejectedAnswer(m, {
        code: 'reference_not_found',
        detail: 'no AgentProvider "gone"',
        errors: [{ path: 'spec.providerRef.name', message: 'not found' }],
      }),
    );
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...alice, 'idempotency-key': 'put-7' },
      payload: putBody({ spec: { providerRef: { name: 'gone' } } }),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'reference_not_found', errors: [{ path: 'spec.providerRef.name' }] });
  });

  it("answers 202 with the object's Location when the outcome is slower than the wait budget", async () => {
    const { app } = busApp(() => undefined);
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/agents/team-a/coder',
      headers: { ...alice, 'idempotency-key': 'put-8' },
      payload: putBody(),
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe('/v1/agents/team-a/coder');
    expect(res.json()).toMatchObject({
      kind: 'Agent',
      status: 'Accepted',
      deliveryId: 'put-8',
      links: { self: '/v1/agents/team-a/coder' },
    });
  });
});

describe('PATCH /v1/<route>/{namespace}/{name}', () => {
  const patch = (
    headers: Record<string, string>,
    payload: unknown = { spec: { config: { model: 'x' } } },
    url = '/v1/agents/team-a/coder',
  ) => ({
    method: 'PATCH' as const,
    url,
    headers: { ...alice, 'content-type': MERGE_PATCH, ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

  it.each([
    ['application/json', { 'content-type': 'application/json' }],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['application/json-patch+json', { 'content-type': 'application/json-patch+json' }],
  ])('refuses a PATCH that is not a JSON merge patch (%s) with 415', async (_type, headers) => {
    const { bus, app } = busApp();
    const res = await app.inject(patch({ 'idempotency-key': 'p-415', ...headers }));
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('unsupported_media_type');
    expect(bus.published).toEqual([]);
  });

  it('accepts a merge patch with a charset parameter', async () => {
    const { app } = busApp();
    const res = await app.inject(patch({ 'idempotency-key': 'p-cs', 'content-type': `${MERGE_PATCH}; charset=utf-8` }));
    expect(res.statusCode).toBe(200);
  });

  it('publishes the patch as sent, with its resourceVersion precondition, and answers 200', async () => {
    const { bus, app } = busApp();
    const body = { metadata: { resourceVersion: '7', labels: { tier: null } }, spec: { config: { model: 'x' } } };
    const res = await app.inject(patch({ 'idempotency-key': 'p-1' }, body));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ID, kind: 'Agent' });
    expect(bus.published[0]?.payload).toMatchObject({
      kind: 'Agent',
      verb: 'patch',
      metadata: { namespace: 'team-a', name: 'coder', resourceVersion: '7' },
      patch: body,
    });
  });

  it('publishes no precondition when the patch names no resourceVersion', async () => {
    const { bus, app } = busApp();
    await app.inject(patch({ 'idempotency-key': 'p-2' }));
    expect(bus.published[0]?.payload.metadata).toEqual({ namespace: 'team-a', name: 'coder' });
  });

  it('answers 202 with a Location on the alias route it was called through when the outcome is slow', async () => {
    const { bus, app } = busApp(() => undefined);
    const res = await app.inject(patch({ 'idempotency-key': 'p-slow' }, { spec: {} }, '/v1/orchestration-runs/team-a/nightly'));
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe('/v1/orchestration-runs/team-a/nightly');
    expect(bus.published[0]?.payload).toMatchObject({ kind: 'OrchestrationRun', verb: 'patch' });
  });

  it('refuses a merge-patch body with a deliveryId field: the key belongs in the header', async () => {
    const { bus, app } = busApp();
    const res = await app.inject(patch({ 'idempotency-key': 'p-3' }, { deliveryId: 'p-3', spec: {} }));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
    expect(JSON.stringify(res.json().errors)).toContain('deliveryId');
    expect(bus.published).toEqual([]);
  });

  it.each([
    ['a JSON array', []],
    ['a change of metadata.namespace', { metadata: { namespace: 'team-b' } }],
    ['a label key that is not valid', { metadata: { labels: { 'bad key': 'x' } } }],
    ['a spec that is not an object', { spec: 'x' }],
  ])('refuses %s with 400', async (_what, body) => {
    const { bus, app } = busApp();
    const res = await app.inject(patch({ 'idempotency-key': 'p-4' }, body));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
    expect(bus.published).toEqual([]);
  });

  it('refuses a patch that sets or removes a label or annotation only Jangar sets, naming each, and publishes nothing', async () => {
    const { bus, app } = busApp();
    const body = {
      metadata: {
        labels: { team: 'a', 'jangar.proompteng.ai/orchestration-run': 'someone-elses' },
        annotations: { 'jangar.proompteng.ai/last-request': null, 'jangar.proompteng.ai/sim-scenario': 'stuck' },
      },
    };
    const res = await app.inject(patch({ 'idempotency-key': 'p-owned' }, body));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed' });
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual([
      'metadata.labels.jangar.proompteng.ai/orchestration-run',
      'metadata.annotations.jangar.proompteng.ai/last-request',
    ]);
    expect(bus.published).toEqual([]);
  });

  it('answers 400, not 500, for a merge patch that is not JSON, and keeps prototype-poisoning protection', async () => {
    const { bus, app } = busApp();
    expect((await app.inject(patch({ 'idempotency-key': 'p-5' }, '{"broken'))).statusCode).toBe(400);
    const poisoned = await app.inject(patch({ 'idempotency-key': 'p-6' }, '{"__proto__":{"admin":true}}'));
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.headers['content-type']).toContain('application/problem+json');
    expect(bus.published).toEqual([]);
  });

  it('answers 400 with spec paths when the merged spec would not be valid', async () => {
    const { app } = busApp((m) =>
      rejectedAnswer(m, {
        code: 'validation_failed',
        detail: 'the Agent spec would not be valid after this change',
        errors: [{ path: 'spec.providerRef', message: 'Invalid input' }],
      }),
    );
    const res = await app.inject(patch({ 'idempotency-key': 'p-7' }, { spec: { providerRef: null } }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'spec.providerRef', message: 'Invalid input' }]);
  });

  it('replays the stored answer of a retried PATCH', async () => {
    let version = 7;
    const { bus, app } = busApp((m) => appliedAnswer(m, stored({ resourceVersion: String(++version) })));
    const first = await app.inject(patch({ 'idempotency-key': 'p-8' }));
    const retry = await app.inject(patch({ 'idempotency-key': 'p-8' }));
    expect(first.statusCode).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(retry.json().metadata.resourceVersion).toBe('8');
    expect(bus.published).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key for a different patch with 422', async () => {
    const { bus, app } = busApp();
    await app.inject(patch({ 'idempotency-key': 'p-9' }, { spec: { config: { model: 'a' } } }));
    const other = await app.inject(patch({ 'idempotency-key': 'p-9' }, { spec: { config: { model: 'b' } } }));
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'idempotency_key_reused', errors: [{ path: 'deliveryId' }] });
    // Nor may the key be reused for the same patch of another object.
    const elsewhere = await app.inject(
      patch({ 'idempotency-key': 'p-9' }, { spec: { config: { model: 'a' } } }, '/v1/agents/team-a/other'),
    );
    expect(elsewhere.statusCode).toBe(422);
    expect(bus.published).toHaveLength(1);
  });
});

describe('DELETE /v1/<route>/{namespace}/{name}', () => {
  it('publishes a delete with the resourceVersion precondition', async () => {
    const { bus, app } = busApp((m) => appliedAnswer(m, stored(), 'completed'));
    const res = await app.inject({
      method: 'DELETE',
      url: '/v1/agents/team-a/coder?resourceVersion=7',
      headers: { ...alice, 'idempotency-key': 'd-1' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ID, metadata: { name: 'coder' } });
    expect(bus.published[0]).toMatchObject({ deliveryId: 'd-1', namespace: 'team-a' });
    expect(bus.published[0]?.payload).toMatchObject({
      kind: 'Agent',
      verb: 'delete',
      metadata: { namespace: 'team-a', name: 'coder', resourceVersion: '7' },
    });
  });

  it('takes the deliveryId from the query as well, and sends no precondition without one', async () => {
    const { bus, app } = busApp((m) => appliedAnswer(m, stored(), 'completed'));
    const res = await app.inject({ method: 'DELETE', url: '/v1/agents/team-a/coder?deliveryId=d-2', headers: alice });
    expect(res.statusCode).toBe(200);
    expect(bus.published[0]?.deliveryId).toBe('d-2');
    expect(bus.published[0]?.payload.metadata).toEqual({ namespace: 'team-a', name: 'coder' });
  });

  it('answers 202 with metadata.deletionTimestamp while finalizers hold the object', async () => {
    const { app } = busApp((m) => appliedAnswer(m, stored({ deletionTimestamp: '2026-11-25T01:00:00Z', finalizers: ['x'] }), 'pending'));
    const res = await app.inject({ method: 'DELETE', url: '/v1/agents/team-a/coder', headers: { ...alice, 'idempotency-key': 'd-3' } });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBeUndefined();
    expect(res.json()).toMatchObject({ id: ID, metadata: { deletionTimestamp: '2026-11-25T01:00:00Z' } });
  });

  it('answers 409 for a stale resourceVersion precondition', async () => {
    const { app } = busApp((m) =>
      rejectedAnswer(m, { code: 'conflict', detail: 'changed since 6', errors: [{ path: 'metadata.resourceVersion', message: 'stale' }] }),
    );
    const res = await app.inject({
      method: 'DELETE',
      url: '/v1/agents/team-a/coder?resourceVersion=6',
      headers: { ...alice, 'idempotency-key': 'd-4' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('conflict');
  });

  it.each([
    ['an unknown parameter', '?force=true', 'query.force'],
    ['an empty resourceVersion', '?resourceVersion=', 'query.resourceVersion'],
  ])('refuses %s with 400', async (_what, query, path) => {
    const { bus, app } = busApp();
    const res = await app.inject({
      method: 'DELETE',
      url: `/v1/agents/team-a/coder${query}`,
      headers: { ...alice, 'idempotency-key': 'd-5' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ path })] });
    expect(bus.published).toEqual([]);
  });

  it('refuses a query deliveryId that differs from the Idempotency-Key', async () => {
    const res = await busApp().app.inject({
      method: 'DELETE',
      url: '/v1/agents/team-a/coder?deliveryId=d-6',
      headers: { ...alice, 'idempotency-key': 'd-7' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_delivery_id');
  });

  it('replays the stored answer of a retried DELETE', async () => {
    const { bus, app } = busApp((m) => appliedAnswer(m, stored(), 'completed'));
    const request = { method: 'DELETE' as const, url: '/v1/agents/team-a/coder', headers: { ...alice, 'idempotency-key': 'd-8' } };
    const first = await app.inject(request);
    const retry = await app.inject(request);
    expect(retry.statusCode).toBe(first.statusCode);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(bus.published).toHaveLength(1);
  });
});

describe('writes of PUT, PATCH and DELETE', () => {
  const writes = (namespace: string, headers: Record<string, string> = {}) => [
    { method: 'PUT' as const, url: `/v1/agents/${namespace}/coder`, headers: { ...alice, ...headers }, payload: putBody() },
    {
      method: 'PATCH' as const,
      url: `/v1/agents/${namespace}/coder`,
      headers: { ...alice, 'content-type': MERGE_PATCH, ...headers },
      payload: JSON.stringify({ spec: {} }),
    },
    { method: 'DELETE' as const, url: `/v1/agents/${namespace}/coder`, headers: { ...alice, ...headers } },
  ];

  it('needs an Idempotency-Key for PATCH and DELETE', async () => {
    const { bus, app } = busApp();
    for (const request of writes('team-a').slice(1)) {
      const res = await app.inject(request);
      expect(res.statusCode, request.method).toBe(400);
      expect(res.json(), request.method).toMatchObject({ code: 'delivery_id_required', errors: [{ path: 'deliveryId' }] });
    }
    expect(bus.published).toEqual([]);
  });

  it.each(['has space', 'x'.repeat(256), 'slash/inside'])('refuses the malformed Idempotency-Key %j on every write', async (key) => {
    const { bus, app } = busApp();
    for (const request of writes('team-a', { 'idempotency-key': key })) {
      const res = await app.inject(request);
      expect(res.statusCode, request.method).toBe(400);
      expect(res.json().code, request.method).toBe('invalid_delivery_id');
    }
    expect(bus.published).toEqual([]);
  });

  it('does not let a token write outside its namespaces', async () => {
    const { bus, app } = busApp();
    for (const request of writes('team-b', { 'idempotency-key': 'w-1' })) {
      const res = await app.inject(request);
      expect(res.statusCode, request.method).toBe(403);
      expect(res.json().code, request.method).toBe('forbidden');
    }
    expect(bus.rows.size).toBe(0);
    expect(bus.published).toEqual([]);
  });

  it('lets a token bound to every namespace write anywhere', async () => {
    const { bus, app } = busApp((m) => appliedAnswer(m, stored(), 'completed'));
    const statuses: number[] = [];
    for (const [i, request] of writes('team-b').entries()) {
      const headers = { ...request.headers, authorization: 'Bearer dev-token', 'idempotency-key': `w-${i}` };
      statuses.push((await app.inject({ ...request, headers })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200]);
    expect(bus.published.map((m) => [m.payload.verb, m.namespace, m.principal.subject])).toEqual([
      ['update', 'team-b', 'dev'],
      ['patch', 'team-b', 'dev'],
      ['delete', 'team-b', 'dev'],
    ]);
  });

  it('scopes an Idempotency-Key to the method: the same key cannot PUT and then DELETE', async () => {
    const { app } = busApp((m) => appliedAnswer(m, stored(), 'completed'));
    const [put, , del] = writes('team-a', { 'idempotency-key': 'w-3' });
    expect((await app.inject(put!)).statusCode).toBe(200);
    const res = await app.inject(del!);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('idempotency_key_reused');
  });
});
