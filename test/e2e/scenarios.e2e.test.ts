import { BatchV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createAgent, eventually, kubeConfigOf, testStack } from '../support/stack.js';
import { SUBJECTS } from '@jangar/contracts';

const NS = 'scenarios';
const SCENARIO = 'jangar.proompteng.ai/sim-scenario';
const PHASE_RANK: Record<string, number> = { Pending: 0, Running: 1, Succeeded: 2, Failed: 2 };

interface Published {
  subject: string;
  run: {
    id: string;
    phase: string;
    resourceVersion: string;
    steps?: { done: number; total: number };
    retry?: { attempt: number };
  };
}

let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
let nc: NatsConnection;
let sub: Subscription;
let batch: BatchV1Api;
let custom: CustomObjectsApi;
const published: Published[] = [];

const agentRun = (scenario: string, runtime: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  deliveryId: `scenario-${scenario}`,
  metadata: { namespace: NS, annotations: { [SCENARIO]: scenario } },
  spec: { agentRef: { name: 'coder' }, runtime, implementation: { inline: { text: `scenario ${scenario}` } }, ...extra },
});

/** The normalized run once it reaches `phase`, from GET /v1/runs/{id}. */
const runIn = (id: string, phase: string) =>
  eventually(`run ${id} to be ${phase}`, async () => {
    const r = await dev.get(`/v1/runs/${id}`);
    return r.json?.phase === phase ? r.json : undefined;
  });

/** What the run-status subject carried for one run, in arrival order. */
const publishedFor = (id: string) => published.filter((m) => m.run.id === id).map((m) => m.run);

/**
 * Phases and resourceVersions never go back, and every message is news: a change of the provider
 * alone comes with its run's resourceVersion unchanged, but never twice.
 */
function expectOrdered(id: string, last: string): void {
  const seen = publishedFor(id);
  const ranks = seen.map((r) => PHASE_RANK[r.phase] ?? -1);
  expect(ranks, seen.map((r) => r.phase).join(',')).toEqual([...ranks].sort((a, b) => a - b));
  const rvs = seen.map((r) => Number(r.resourceVersion));
  expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
  const views = seen.map((r) => JSON.stringify(r));
  expect(new Set(views).size).toBe(views.length);
  expect(seen.at(-1)?.phase).toBe(last);
}

beforeAll(async () => {
  stack = await testStack();
  dev = api(stack.gatewayUrl, stack.devToken);
  nc = await connect({ servers: stack.natsUrl });
  // Subscribed before any run exists, so the first transition is seen too.
  sub = nc.subscribe(SUBJECTS.runStatus.filter({ namespace: NS }), {
    callback: (err, msg) => {
      if (!err) published.push({ subject: msg.subject, run: (msg.json() as { payload: Published }).payload.run });
    },
  });
  await nc.flush();
  const kc = kubeConfigOf(stack);
  batch = kc.makeApiClient(BatchV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  await createAgent(stack, NS);
});

afterAll(async () => {
  sub?.unsubscribe();
  await nc?.close();
  await stack?.close();
});

describe('simulated scenarios, end to end', () => {
  it('reports provider, retry, error and step progress for every scenario', async () => {
    const orchestration = await dev.post('/v1/orchestrations', {
      deliveryId: 'scenario-flow',
      metadata: { namespace: NS, name: 'flow' },
      spec: { steps: ['one', 'two', 'three'].map((name) => ({ name, kind: 'Checkpoint' })) },
    });
    expect(orchestration.status).toBe(201);

    const created = await Promise.all([
      dev.post('/v1/agent-runs', agentRun('success', { type: 'job' })),
      dev.post('/v1/agent-runs', agentRun('failure', { type: 'workflow' }, { workflow: { steps: [{ name: 'plan' }] } })),
      dev.post('/v1/agent-runs', agentRun('retry', { type: 'job', config: { maxAttempts: 2 } })),
      dev.post('/v1/agent-runs', agentRun('stuck', { type: 'job' })),
      dev.post('/v1/orchestration-executions', {
        deliveryId: 'scenario-orchestration',
        metadata: { namespace: NS },
        spec: { orchestrationRef: { name: 'flow' } },
      }),
    ]);
    for (const res of created) expect(res.status, res.text).toBe(201);
    const [success, failure, retry, stuck, orun] = created.map((r) => r.json as { id: string; metadata: { name: string } }) as [
      { id: string; metadata: { name: string } },
      ...{ id: string; metadata: { name: string } }[],
    ];

    // success: the Job completes and the run says so.
    const ok = await runIn(success.id, 'Succeeded');
    expect(ok.provider).toEqual({
      type: 'job',
      resource: { apiVersion: 'batch/v1', kind: 'Job', name: success.metadata.name, namespace: NS },
      phase: 'Succeeded',
    });
    expect(ok.retry).toBeUndefined();
    expect(ok.error).toBeUndefined();
    const job = await batch.readNamespacedJob({ name: success.metadata.name, namespace: NS });
    expect(job.metadata?.labels?.['jangar.proompteng.ai/run-uid']).toBe(ok.uid);
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['Complete=True']);

    // failure: an Argo Workflow that fails, with the error on the run.
    const bad = await runIn(failure!.id, 'Failed');
    expect(bad.provider).toMatchObject({ type: 'argo', resource: { kind: 'Workflow', name: failure!.metadata.name }, phase: 'Failed' });
    expect(bad.provider.message).toMatch(/failure/);
    expect(bad.error).toMatchObject({ code: 'run_failed', reason: 'Error', message: expect.stringMatching(/failure/) });
    const wf = (await custom.getNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      plural: 'workflows',
      namespace: NS,
      name: failure!.metadata.name,
    })) as { status: { phase: string } };
    expect(wf.status.phase).toBe('Failed');

    // retry: the first attempt fails, the second succeeds.
    const retried = await runIn(retry!.id, 'Succeeded');
    expect(retried.retry).toMatchObject({ attempt: 2, maxAttempts: 2, lastError: expect.stringMatching(/attempt 1/) });
    expect(retried.provider).toMatchObject({ type: 'job', resource: { kind: 'Job' }, phase: 'Succeeded' });
    expect((await batch.readNamespacedJob({ name: retry!.metadata.name, namespace: NS })).status).toMatchObject({
      succeeded: 1,
      failed: 1,
    });
    expect(publishedFor(retry!.id).map((r) => r.retry?.attempt)).toContain(2);

    // orchestration: three Checkpoint steps, one at a time.
    const flow = await runIn(orun!.id, 'Succeeded');
    expect(flow.provider).toMatchObject({ type: 'orchestration' });
    expect(flow.steps).toMatchObject({ done: 3, total: 3 });
    const done = publishedFor(orun!.id).flatMap((r) => (r.steps ? [r.steps.done] : []));
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(new Set(done)).toEqual(new Set([0, 1, 2, 3]));

    // stuck: still Running after every other run (started together with it) has finished.
    const hung = await eventually('the stuck run to be Running with its Job', async () => {
      const r = await dev.get(`/v1/runs/${stuck!.id}`);
      return r.json?.phase === 'Running' && r.json.provider?.phase === 'Running' ? r.json : undefined;
    });
    expect(hung.error).toBeUndefined();
    expect((await batch.readNamespacedJob({ name: stuck!.metadata.name, namespace: NS })).status?.active).toBe(1);

    // The run-status subject carried each run's transitions in order, once per resourceVersion.
    await eventually('the last transitions on the subject', async () =>
      publishedFor(orun!.id).at(-1)?.phase === 'Succeeded' && publishedFor(retry!.id).at(-1)?.phase === 'Succeeded' ? true : undefined,
    );
    expectOrdered(success.id, 'Succeeded');
    expectOrdered(failure!.id, 'Failed');
    expectOrdered(retry!.id, 'Succeeded');
    expectOrdered(stuck!.id, 'Running');
    expectOrdered(orun!.id, 'Succeeded');
  });
});
