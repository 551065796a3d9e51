import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createAgent, eventually, testStack } from '../support/stack.js';
import { TEAM_TOKENS } from '../support/fixtures.js';

const NS = 'team-a';
const RUN_LABEL = 'jangar.proompteng.ai/orchestration-run';

interface CorrelatedRun {
  id: string;
  type: string;
  namespace: string;
  name: string;
  phase: string;
  parent?: { type: string; name: string };
}

let stack: Awaited<ReturnType<typeof testStack>>;
let alice: ReturnType<typeof api>;
let bob: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await testStack({ env: { JANGAR_API_TOKENS: JSON.stringify(TEAM_TOKENS) } });
  alice = api(stack.gatewayUrl, 'alice-token-123');
  bob = api(stack.gatewayUrl, 'bob-token-12345');
  await createAgent(stack, NS);
  const orchestration = await alice.post('/v1/orchestrations', {
    deliveryId: 'release-orchestration',
    metadata: { namespace: NS, name: 'release' },
    spec: {
      steps: [
        { name: 'build', kind: 'AgentRun', agentRef: { name: 'coder' }, with: { prompt: 'build the release' } },
        { name: 'ship', kind: 'AgentRun', agentRef: { name: 'coder' }, dependsOn: ['build'] },
      ],
    },
  });
  expect(orchestration.status, orchestration.text).toBe(201);
});

afterAll(async () => {
  await stack?.close();
});

describe('correlation across an orchestration execution', () => {
  it("finds the execution request, its OrchestrationRun and every AgentRun it started from the execution's correlation id", async () => {
    const execution = await alice.post('/v1/orchestration-executions', {
      deliveryId: 'release-42-execution',
      correlationId: 'release-42',
      metadata: { namespace: NS },
      spec: { orchestrationRef: { name: 'release' }, parameters: { version: '4.2.0' } },
    });
    expect(execution.status, execution.text).toBe(201);
    const { id, metadata } = execution.json as { id: string; metadata: { name: string } };

    const done = await eventually('the OrchestrationRun to succeed', async () => {
      const r = await alice.get(`/v1/runs/${id}`);
      return r.json?.phase === 'Succeeded' ? r.json : undefined;
    });
    expect(done.steps).toMatchObject({ done: 2, total: 2 });

    // The audit service records run transitions as they arrive, so the children's last ones may trail.
    const found = await eventually('the execution and both children, finished, in the correlation', async () => {
      const r = await alice.get('/v1/correlations/release-42');
      const runs = (r.json?.runs ?? []) as CorrelatedRun[];
      return runs.length === 3 && runs.every((run) => run.phase === 'Succeeded') ? r.json : undefined;
    });
    expect(found.requests.map((e: { deliveryId: string; action: string }) => `${e.action} ${e.deliveryId}`)).toEqual([
      'orchestrationrun.create release-42-execution',
    ]);
    const runs = found.runs as CorrelatedRun[];
    expect(runs.find((r) => r.id === id)).toEqual({ id, type: 'OrchestrationRun', namespace: NS, name: metadata.name, phase: 'Succeeded' });
    const children = runs.filter((r) => r.type === 'AgentRun').sort((a, b) => a.name.localeCompare(b.name));
    expect(children).toEqual(
      ['build', 'ship'].map((step) => ({
        id: expect.any(String),
        type: 'AgentRun',
        namespace: NS,
        name: `${metadata.name}-${step}`,
        phase: 'Succeeded',
        parent: { type: 'OrchestrationRun', name: metadata.name },
      })),
    );

    // The same runs, from the runs read model, by the label every child carries.
    const listed = await alice.get(`/v1/runs?labelSelector=${encodeURIComponent(`${RUN_LABEL}=${metadata.name}`)}`);
    expect(listed.status).toBe(200);
    const items = (listed.json.items as (CorrelatedRun & { correlationId?: string })[]).map((r) => ({
      id: r.id,
      name: r.name,
      correlationId: r.correlationId,
      parent: r.parent,
    }));
    expect(items.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      children.map((child) => ({
        id: child.id,
        name: child.name,
        correlationId: 'release-42',
        parent: { type: 'OrchestrationRun', name: metadata.name },
      })),
    );
  });

  it('adds a later request that passes the same correlation id, and shows none of it to another team', async () => {
    const followUp = await alice.post(
      '/v1/agent-runs',
      {
        deliveryId: 'release-42-follow-up',
        metadata: { namespace: NS },
        spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'announce the release' } } },
      },
      { 'x-correlation-id': 'release-42' },
    );
    expect(followUp.status, followUp.text).toBe(201);
    // Its request event and its run's history are written by different consumers, in either order.
    const found = await eventually('the follow-up request and run in the correlation', async () => {
      const r = await alice.get('/v1/correlations/release-42');
      const hasRun = (r.json?.runs as CorrelatedRun[] | undefined)?.some((run) => run.id === followUp.json.id);
      return hasRun && r.json.requests.length === 2 ? r.json : undefined;
    });
    expect(found.requests.map((e: { deliveryId: string }) => e.deliveryId)).toEqual(['release-42-execution', 'release-42-follow-up']);
    expect(found.runs).toHaveLength(4);
    expect((await bob.get('/v1/correlations/release-42')).status).toBe(404);
  });
});
