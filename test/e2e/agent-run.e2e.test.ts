import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '@jangar/stack';
import { api, eventually, testStack } from '../support/stack.js';

const TEAM_TOKEN = 'team-a-token-123';
let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
let teamA: ReturnType<typeof api>;

const agent = (name: string, namespace = 'team-a') => ({ metadata: { namespace, name }, spec: { providerRef: { name: 'codex' } } });
const run = (agentName: string, namespace = 'team-a') => ({
  metadata: { namespace, labels: { team: 'a' } },
  spec: { agentRef: { name: agentName }, runtime: { type: 'job' }, implementation: { inline: { text: 'fix the flaky test' } } },
});

beforeAll(async () => {
  stack = await testStack({
    env: { JANGAR_API_TOKENS: JSON.stringify([{ token: TEAM_TOKEN, subject: 'alice', namespaces: ['team-a'] }]) },
  });
  dev = api(stack.gatewayUrl, stack.devToken);
  teamA = api(stack.gatewayUrl, TEAM_TOKEN);
  const created = await dev.post('/v1/agents', { deliveryId: 'agent-coder', ...agent('coder') });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await stack?.close();
});

describe('an AgentRun end to end', () => {
  it('travels gateway → policy → provisioner → Kubernetes → status-aggregator → audit', async () => {
    const res = await teamA.post('/v1/agent-runs', { deliveryId: 'run-1', ...run('coder') });
    expect(res.status).toBe(201);
    const body = res.json!;
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toMatchObject({
      kind: 'AgentRun',
      metadata: { namespace: 'team-a', labels: { team: 'a', 'jangar.proompteng.ai/id': body.id } },
      spec: { agentRef: { name: 'coder' } },
    });
    expect(body.metadata).toHaveProperty('uid');
    expect(body.metadata).toHaveProperty('resourceVersion');
    expect(body.metadata).toHaveProperty('creationTimestamp');

    // The custom resource, read straight from the Kubernetes API with client-node.
    const kc = new KubeConfig();
    kc.loadFromFile(stack.kubeconfig);
    const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'agents.proompteng.ai',
      version: 'v1alpha1',
      namespace: 'team-a',
      plural: 'agentruns',
      labelSelector: `jangar.proompteng.ai/id=${body.id}`,
    })) as { items: Array<{ metadata: { name: string; annotations: Record<string, string> } }> };
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.metadata.name).toBe(body.metadata.name);
    expect(JSON.parse(list.items[0]!.metadata.annotations['jangar.proompteng.ai/binding']!)).toMatchObject({
      provider: 'job',
      resource: { kind: 'Job' },
    });

    // The simulated runtime drives it to Succeeded; the normalized view follows.
    const done = await eventually('the run to succeed', async () => {
      const r = await teamA.get(`/v1/runs/${body.id}`);
      return r.json?.phase === 'Succeeded' ? r.json : undefined;
    });
    expect(done).toMatchObject({ id: body.id, type: 'AgentRun', namespace: 'team-a', name: body.metadata.name, deliveryId: 'run-1' });
    expect(done.conditions.map((c: { type: string }) => c.type)).toEqual(expect.arrayContaining(['Accepted', 'Succeeded']));
    expect(done.finishedAt).toBeDefined();

    // One audit row for the request, and the run's lifecycle in the history.
    const audit = await eventually('the audit row', async () => {
      const { rows } = await stack.db.query('select * from audit.audit_events where resource_id = $1', [body.id]);
      return rows.length > 0 ? rows : undefined;
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'alice',
      action: 'agentrun.create',
      decision: 'allow',
      outcome: 'created',
      delivery_id: 'run-1',
      namespace: 'team-a',
    });
    const phases = await eventually('the lifecycle history', async () => {
      const { rows } = await stack.db.query('select phase from audit.run_history where run_id = $1 order by resource_version::bigint', [
        body.id,
      ]);
      return rows.some((r: { phase: string }) => r.phase === 'Succeeded') ? rows.map((r: { phase: string }) => r.phase) : undefined;
    });
    expect(phases.at(-1)).toBe('Succeeded');

    // With no trace exporter configured (the default), the request still has a real trace: the
    // client gets its id, and the gateway's log line for the request carries it.
    const traceId = res.headers.get('traceparent')?.split('-')[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));
    const logged = await eventually('the request logged under its trace id', async () => {
      const log = await readFile(path.join(stack.dataDir, 'logs', 'api-gateway.log'), 'utf8');
      return log.split('\n').find((l) => l.includes(`"trace_id":"${traceId}"`) && l.includes('request completed'));
    });
    expect(JSON.parse(logged)).toMatchObject({ service: 'api-gateway', res: { statusCode: 201 } });
  });

  it('answers 202 at once for Prefer: respond-async, and the run reads from its Location right away', async () => {
    const res = await teamA.post('/v1/agent-runs', { deliveryId: 'run-async', ...run('coder') }, { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    expect(res.headers.get('preference-applied')).toBe('respond-async');
    const { id } = res.json as { id: string };
    const location = res.headers.get('location')!;
    expect(location).toBe(`/v1/runs/${id}`);

    // Never a 404 between the 202 and the object: Pending and Accepted until it exists, then the object.
    const first = await teamA.get(location);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ id, type: 'AgentRun', namespace: 'team-a', deliveryId: 'run-async' });
    if (first.json.uid === '') {
      expect(first.json).toMatchObject({ phase: 'Pending', conditions: [{ type: 'Accepted', status: 'True', reason: 'Submitted' }] });
    }
    // Every read on the way, checked once it succeeded (an expect in the probe would only retry it).
    const statuses = new Set<number>();
    const done = await eventually('the run to succeed', async () => {
      const r = await teamA.get(location);
      statuses.add(r.status);
      return r.json?.phase === 'Succeeded' ? r.json : undefined;
    });
    expect([...statuses]).toEqual([200]);
    expect(done.uid).not.toBe('');
    expect(done.name).toBe(first.json.name);

    // A retry gets the stored answer of the first attempt, which the outcome has completed by now.
    const again = await teamA.post('/v1/agent-runs', { deliveryId: 'run-async', ...run('coder') }, { prefer: 'respond-async' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toMatchObject({ id });
  });

  it('returns the stored response, byte for byte, when a deliveryId is retried', async () => {
    const first = await teamA.post('/v1/agent-runs', { deliveryId: 'run-retry', ...run('coder') });
    const again = await teamA.post('/v1/agent-runs', { deliveryId: 'run-retry', ...run('coder') });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // Audit records the create asynchronously: wait for its event, then there is exactly the one.
    const auditEvents = async () =>
      (await stack.db.query("select count(*)::int as n from audit.audit_events where delivery_id = 'run-retry'")).rows[0].n as number;
    await eventually('the audit event of run-retry', async () => ((await auditEvents()) > 0 ? true : undefined));
    expect(await auditEvents()).toBe(1);
  });

  it('answers 422 idempotency_key_reused when a deliveryId comes back with another body', async () => {
    await teamA.post('/v1/agent-runs', { deliveryId: 'run-reused', ...run('coder') });
    const other = await teamA.post('/v1/agent-runs', {
      deliveryId: 'run-reused',
      ...run('coder'),
      metadata: { namespace: 'team-a', labels: { team: 'b' } },
    });
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('answers 413 to a create within the body limit that the bus cannot carry through the pipeline, and creates one just under that', async () => {
    // The gateway's body limit is 1 MiB, as is nats-server's max_payload; the services after the
    // gateway carry the request inside larger messages, so it keeps 64 KiB of that free.
    const withDescription = (bytes: number) => {
      const r = run('coder');
      return { ...r, spec: { ...r.spec, implementation: { inline: { ...r.spec.implementation.inline, description: 'x'.repeat(bytes) } } } };
    };
    const first = await teamA.post('/v1/agent-runs', { deliveryId: 'run-too-large', ...withDescription(1024 * 1024 - 1_000) });
    expect(first.status).toBe(413);
    expect(first.json).toMatchObject({ code: 'payload_too_large', errors: [{ path: 'body' }] });
    // Nothing was claimed: the deliveryId is free for the request made smaller, which goes all the way.
    const fits = await teamA.post('/v1/agent-runs', { deliveryId: 'run-too-large', ...withDescription(1024 * 1024 - 66 * 1024) });
    expect(fits.status).toBe(201);
  });

  it('lists objects too large to share one reply a few to a page, each page with its token, and none lost', async () => {
    // Three specs of 400 KB each: one page of them would be more than nats-server carries in a reply.
    for (const name of ['large-1', 'large-2', 'large-3']) {
      const spec = { text: 'do it', description: 'x'.repeat(400_000) };
      const res = await teamA.post('/v1/implementation-specs', {
        deliveryId: name,
        metadata: { namespace: 'team-a', name, labels: { size: 'large' } },
        spec,
      });
      expect(res.status).toBe(201);
    }
    const names: string[] = [];
    let page = await teamA.get('/v1/implementation-specs?namespace=team-a&labelSelector=size%3Dlarge');
    for (;;) {
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThan(3);
      names.push(...page.json.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      if (!page.json.continue) break;
      page = await teamA.get(`/v1/implementation-specs?namespace=team-a&labelSelector=size%3Dlarge&continue=${page.json.continue}`);
    }
    expect(names.sort()).toEqual(['large-1', 'large-2', 'large-3']);
  });

  it('answers 422 naming spec.agentRef.name when the Agent does not exist', async () => {
    const res = await teamA.post('/v1/agent-runs', { deliveryId: 'run-no-agent', ...run('ghost') });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.json).toMatchObject({ code: 'reference_not_found', errors: [{ path: 'spec.agentRef.name' }] });
  });

  it('answers 400 problem+json with every failing field path', async () => {
    const res = await teamA.post('/v1/agent-runs', {
      deliveryId: 'run-bad',
      metadata: { namespace: 'team-a' },
      spec: { agentRef: {}, runtime: { type: 'argo' } },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.json!.code).toBe('validation_failed');
    expect(res.json!.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'spec.agentRef.name',
      'spec.implementation',
      'spec.runtime.type',
    ]);
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('authentication and namespaces', () => {
  it('answers 401 without a token or with a wrong one', async () => {
    expect((await api(stack.gatewayUrl, 'wrong-token').get('/v1/runs/x')).status).toBe(401);
    const res = await fetch(`${stack.gatewayUrl}/v1/agent-runs`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it("forbids writes outside the token's namespaces", async () => {
    const res = await teamA.post('/v1/agent-runs', { deliveryId: 'run-elsewhere', ...run('coder', 'team-b') });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'forbidden' });
  });

  it("hides another namespace's runs as not found", async () => {
    await dev.post('/v1/agents', { deliveryId: 'agent-b', ...agent('coder', 'team-b') });
    const other = await dev.post('/v1/agent-runs', { deliveryId: 'run-team-b', ...run('coder', 'team-b') });
    expect(other.status).toBe(201);
    expect((await dev.get(`/v1/runs/${other.json!.id}`)).status).toBe(200);
    expect((await teamA.get(`/v1/runs/${other.json!.id}`)).status).toBe(404);
  });

  it('reports ready only when every service answers', async () => {
    const res = await fetch(`${stack.gatewayUrl}/readyz`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { checks: Record<string, boolean> };
    expect(Object.keys(report.checks).sort()).toEqual([
      'jangar-audit',
      'jangar-policy',
      'jangar-provisioner',
      'jangar-status-aggregator',
      'nats',
      'postgres',
    ]);
  });
});

describe('shutdown', () => {
  // Last in this file: it stops the services the tests above use.
  it('drains every service on SIGTERM and exits 0', async () => {
    const exits = await Promise.all(
      SERVICE_NAMES.flatMap((name) => stack.processes(name).map(async (p) => [name, await p.stop()] as const)),
    );
    for (const [name, info] of exits) expect(info, name).toEqual({ code: 0, signal: null });
  });
});
