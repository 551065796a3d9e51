import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { api, eventually, kubeConfigOf, testStack } from '../support/stack.js';
import { stuckRunBody } from '../support/fixtures.js';

const NS = 'conc';
const LIMIT = 5;
let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;

/** A run that stays Running until it is deleted, so slots stay taken until the test frees them. */
const stuckRun = (deliveryId: string) => stuckRunBody(NS, deliveryId);

/** Runs of the namespace not yet ended, as the runs view reports them. */
async function activeRuns(): Promise<number> {
  const res = await dev.get(`/v1/runs?namespace=${NS}&phase=Pending,Running&limit=500`);
  return (res.json.items as unknown[]).length;
}

beforeAll(async () => {
  // Two policy replicas share the durable consumer: slots must be counted across both.
  stack = await testStack({ replicas: { policy: 2 } });
  dev = api(stack.gatewayUrl, stack.devToken);
  const agent = await dev.post('/v1/agents', {
    deliveryId: 'conc-agent',
    metadata: { namespace: NS, name: 'coder' },
    spec: { providerRef: { name: 'codex' } },
  });
  expect(agent.status).toBe(201);
  const guardrail = await dev.post('/v1/guardrails', {
    deliveryId: 'conc-guardrail',
    metadata: { namespace: NS, name: 'limits' },
    spec: { concurrency: { namespace: LIMIT } },
  });
  expect(guardrail.status).toBe(201);
  // The policy replicas learn of the guardrail through their informers.
  await eventually('both policy replicas to know the guardrail', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => dev.post('/v1/policy/evaluate', { kind: 'AgentRun', metadata: { namespace: NS }, spec: stuckRun('x').spec })),
    );
    return results.every((r) => r.json?.policyVersion && r.json.verdict === 'allow') ? true : undefined;
  });
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe('concurrency limits', () => {
  const rejected: string[] = [];
  const admitted: string[] = [];

  it('admits exactly the limit of 100 parallel submits across two policy replicas, and answers the rest 429 with the figures', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `conc-${i}`);
    const answers = await Promise.all(ids.map(async (id) => ({ id, res: await dev.post('/v1/agent-runs', stuckRun(id)) })));
    for (const { id, res } of answers) (res.status === 201 ? admitted : rejected).push(id);
    expect(admitted).toHaveLength(LIMIT);
    expect(rejected).toHaveLength(100 - LIMIT);
    const refusal = answers.find((a) => a.res.status !== 201)!.res;
    expect(refusal.status).toBe(429);
    expect(refusal.headers.get('retry-after')).toBeDefined();
    expect(refusal.json).toMatchObject({
      code: 'concurrency_limit',
      violations: [
        {
          ruleId: 'concurrency-limit',
          path: 'metadata.namespace',
          reason: `${LIMIT} of ${LIMIT} runs are active in namespace "${NS}"; retry when one ends`,
          policy: `Guardrail ${NS}/limits`,
        },
      ],
      // Where the run would stand: Pending, blocked by the limit.
      phase: 'Pending',
      conditions: [{ type: 'Blocked', status: 'True', reason: 'ConcurrencyLimit' }],
    });
    // Nothing was created for a refused request.
    expect((await dev.get(`/v1/agent-runs/${NS}/${rejected[0]}`)).status).toBe(404);
  });

  it('decides a retried deliveryId afresh instead of replaying the 429', async () => {
    const again = await dev.post('/v1/agent-runs', stuckRun(rejected[0]!));
    expect(again.status).toBe(429);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });

  it('admits the next runs as running ones end, never more than the limit at once', async () => {
    // Two runs end (deleting a running run cancels it first).
    for (const id of admitted.slice(0, 2)) expect((await dev.delete(`/v1/agent-runs/${NS}/${id}`, `end-${id}`)).status).toBe(200);
    const waiting = [...rejected];
    const newlyAdmitted: string[] = [];
    // What every round saw, checked once the wait is over (a failed expect inside the probe would only retry it).
    const otherAnswers: number[] = [];
    let mostActive = 0;
    await eventually('two more runs to be admitted', async () => {
      const answers = await Promise.all(waiting.map(async (id) => ({ id, res: await dev.post('/v1/agent-runs', stuckRun(id)) })));
      for (const { id, res } of answers) {
        if (res.status === 201) {
          newlyAdmitted.push(id);
          waiting.splice(waiting.indexOf(id), 1);
        } else if (res.status !== 429) otherAnswers.push(res.status);
      }
      mostActive = Math.max(mostActive, await activeRuns());
      return newlyAdmitted.length >= 2 ? true : undefined;
    });
    expect(newlyAdmitted).toHaveLength(2);
    expect(otherAnswers).toEqual([]);
    mostActive = Math.max(mostActive, await activeRuns());
    // Never over the limit, and a real count: the three runs that never ended are always in it.
    expect(mostActive).toBeGreaterThanOrEqual(LIMIT - 2);
    expect(mostActive).toBeLessThanOrEqual(LIMIT);
    // Once admitted, the answer is final: a retry replays it.
    const replay = await dev.post('/v1/agent-runs', stuckRun(newlyAdmitted[0]!));
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });
});

/** A run of Agent coder in `namespace` that succeeds at once. */
const quickRun = (namespace: string, deliveryId: string, text = 'quick') => ({
  deliveryId,
  metadata: { namespace },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text } } },
});

/**
 * Creates Agent coder in `namespace`, then a policy resource there through `create`, and waits
 * until both policy replicas decide with it: the policy version names every resource a decision
 * consulted, so once every answer shows a new one, both have seen it.
 */
async function withPolicy(namespace: string, create: () => Promise<{ status: number; text: string }>) {
  const agent = await dev.post('/v1/agents', {
    deliveryId: `${namespace}-agent`,
    metadata: { namespace, name: 'coder' },
    spec: { providerRef: { name: 'codex' } },
  });
  expect(agent.status).toBe(201);
  const versionNow = async () =>
    (await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', ...quickRun(namespace, 'x') })).json?.policyVersion as string | undefined;
  const before = await eventually('a policy version', versionNow);
  const created = await create();
  expect(created.status, created.text).toBe(201);
  await eventually(`both policy replicas to know the new policy in ${namespace}`, async () => {
    const versions = await Promise.all([1, 2, 3, 4, 5, 6].map(versionNow));
    return versions.every((v) => v && v !== before) ? true : undefined;
  });
}

describe('budgets', () => {
  const BUDGET_NS = 'budget';
  const run = (deliveryId: string) => quickRun(BUDGET_NS, deliveryId, 'spend');

  beforeAll(() =>
    withPolicy(BUDGET_NS, () =>
      dev.post('/v1/budgets', {
        deliveryId: 'budget-runs',
        metadata: { namespace: BUDGET_NS, name: 'hourly' },
        spec: { limits: { runs: 3 }, period: '1h', subjects: [{ kind: 'Agent', name: 'coder' }] },
      }),
    ),
  );

  it('admits exactly the budgeted number of runs from a burst and refuses the rest with 403 budget_exceeded', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => dev.post('/v1/agent-runs', run(`budget-${i}`))));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.every((a) => a.status === 403)).toBe(true);
    expect(refused[0]!.json).toMatchObject({
      code: 'budget_exceeded',
      violations: [
        { ruleId: 'budget-exceeded', policy: 'Budget budget/hourly', reason: 'Budget budget/hourly allows 3 runs per 1h; 3 have started' },
      ],
      phase: 'Failed',
      conditions: [{ type: 'Blocked', reason: 'BudgetExceeded', message: 'Budget budget/hourly allows 3 runs per 1h; 3 have started' }],
    });
  });

  it('keeps Budget.status.used current', async () => {
    const used = await eventually('the budget status to show its use', async () => {
      const b = (await dev.get(`/v1/budgets/${BUDGET_NS}/hourly`)).json;
      return b?.status?.used?.runs === 3 ? b.status.used : undefined;
    });
    expect(used).toEqual({ runs: 3 });
  });

  it('holds active runs to a cpu budget: admits what fits, refuses the rest with the figures, and frees the cpu when a run ends', async () => {
    const ns = 'budget-cpu';
    await withPolicy(ns, () =>
      dev.post('/v1/budgets', { deliveryId: 'budget-cpu', metadata: { namespace: ns, name: 'cores' }, spec: { limits: { cpu: '2' } } }),
    );
    const run = (id: string, cpu: string) => {
      const base = stuckRun(id);
      return {
        ...base,
        metadata: { ...base.metadata, namespace: ns },
        spec: { ...base.spec, workload: { resources: { requests: { cpu } } } },
      };
    };
    const usedCpu = (want: string) =>
      eventually(`the budget to show ${want} cpu in use`, async () => {
        const used = (await dev.get(`/v1/budgets/${ns}/cores`)).json?.status?.used;
        return used?.cpu === want ? used : undefined;
      });
    expect((await dev.post('/v1/agent-runs', run('cpu-1', '1500m'))).status).toBe(201);
    const refused = await dev.post('/v1/agent-runs', run('cpu-2', '1'));
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({
      code: 'budget_exceeded',
      violations: [
        {
          ruleId: 'budget-exceeded',
          path: 'spec.workload.resources.requests.cpu',
          reason: `Budget ${ns}/cores allows 2 cpu for active runs; they request 1500m and this run asks for 1`,
        },
      ],
    });
    expect((await dev.post('/v1/agent-runs', run('cpu-3', '500m'))).status).toBe(201);
    await usedCpu('2');
    expect((await dev.delete(`/v1/agent-runs/${ns}/cpu-1`, 'end-cpu-1')).status).toBe(200);
    await usedCpu('500m');
    expect((await dev.post('/v1/agent-runs', run('cpu-4', '1'))).status).toBe(201);
  });

  it('refuses runs once the runtime reports a budget amount used up, with 403 budget_exceeded', async () => {
    const b = await dev.post('/v1/budgets', {
      deliveryId: 'budget-tokens',
      metadata: { namespace: 'budget-tokens', name: 'tokens' },
      spec: { limits: { tokens: '1M' } },
    });
    expect(b.status, b.text).toBe(201);
    const agent = await dev.post('/v1/agents', {
      deliveryId: 'budget-tokens-agent',
      metadata: { namespace: 'budget-tokens', name: 'coder' },
      spec: { providerRef: { name: 'codex' } },
    });
    expect(agent.status).toBe(201);
    // The runtime reports what its runs used on the Budget's status.
    const kube = kubeConfigOf(stack).makeApiClient(CustomObjectsApi);
    await kube.patchNamespacedCustomObjectStatus(
      {
        group: 'budgets.proompteng.ai',
        version: 'v1alpha1',
        plural: 'budgets',
        namespace: 'budget-tokens',
        name: 'tokens',
        body: { status: { used: { tokens: '1200k' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const body = { ...run('tokens-1'), metadata: { namespace: 'budget-tokens' } };
    await eventually('the policy to see the spent budget', async () => {
      const d = (await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', ...body })).json;
      return d?.verdict === 'deny' ? d : undefined;
    });
    const res = await dev.post('/v1/agent-runs', body);
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({
      code: 'budget_exceeded',
      violations: [{ ruleId: 'budget-exceeded', reason: 'Budget budget-tokens/tokens has used 1200k of 1M tokens' }],
    });
  });
});

describe('rate limits', () => {
  const RATE_NS = 'rate';
  const quick = (deliveryId: string) => quickRun(RATE_NS, deliveryId);

  beforeAll(() =>
    withPolicy(RATE_NS, () =>
      dev.post('/v1/guardrails', {
        deliveryId: 'rate-guardrail',
        metadata: { namespace: RATE_NS, name: 'hourly' },
        spec: { rateLimits: { namespace: 3, periodSeconds: 3600 } },
      }),
    ),
  );

  it('starts exactly the rate of a burst, even after the runs end, and answers the rest 429 rate_limited with the window', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => dev.post('/v1/agent-runs', quick(`rate-${i}`))));
    const started = answers.filter((a) => a.status === 201);
    expect(started).toHaveLength(3);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.every((a) => a.status === 429 && a.headers.get('retry-after') !== null)).toBe(true);
    expect(refused[0]!.json).toMatchObject({
      code: 'rate_limited',
      violations: [
        {
          ruleId: 'rate-limit',
          policy: `Guardrail ${RATE_NS}/hourly`,
          reason: `3 of 3 runs started in namespace "${RATE_NS}" in the last 3600s; retry later`,
        },
      ],
      phase: 'Pending',
      conditions: [{ type: 'Blocked', status: 'True', reason: 'RateLimit' }],
    });
    // A run that ended frees its concurrency slot, not its place in the window.
    await eventually('the started runs to succeed', async () => {
      const phases = await Promise.all(started.map(async (a) => (await dev.get(`/v1/runs/${a.json.id}`)).json?.phase));
      return phases.every((p) => p === 'Succeeded') ? true : undefined;
    });
    const later = await dev.post('/v1/agent-runs', quick('rate-later'));
    expect(later.status).toBe(429);
    expect(later.json.code).toBe('rate_limited');
  });
});

describe('queues', () => {
  const QUEUE_NS = 'queued';
  const ACTIVE = 2;
  const WAITING = 3;
  /** A run that stays Running until it is deleted. */
  const stuck = (deliveryId: string) => ({ ...stuckRun(deliveryId), metadata: { ...stuckRun(deliveryId).metadata, namespace: QUEUE_NS } });
  // Runs that exist and have not ended: a queued run is listed Pending too, but has no uid until it exists.
  const running = async () =>
    ((await dev.get(`/v1/runs?namespace=${QUEUE_NS}&phase=Pending,Running&limit=500`)).json.items as Array<{ uid: string }>).filter(
      (r) => r.uid !== '',
    ).length;
  const answers = new Map<string, Awaited<ReturnType<typeof dev.post>>>();

  beforeAll(() =>
    withPolicy(QUEUE_NS, () =>
      dev.post('/v1/guardrails', {
        deliveryId: 'queue-guardrail',
        metadata: { namespace: QUEUE_NS, name: 'queue' },
        spec: { concurrency: { namespace: ACTIVE }, queue: { namespace: WAITING } },
      }),
    ),
  );

  it('starts the limit, queues the next runs with 202 and a Blocked condition, and refuses the rest once the queue is full', async () => {
    const ids = Array.from({ length: ACTIVE + WAITING + 1 }, (_, i) => `queued-${i}`);
    await Promise.all(ids.map(async (id) => answers.set(id, await dev.post('/v1/agent-runs', stuck(id)))));
    const byStatus = (status: number) => [...answers.values()].filter((a) => a.status === status);
    expect(byStatus(201)).toHaveLength(ACTIVE);
    expect(byStatus(202)).toHaveLength(WAITING);
    expect(byStatus(429)).toHaveLength(1);
    expect(byStatus(202)[0]!.json).toMatchObject({
      status: 'Queued',
      phase: 'Pending',
      conditions: [
        {
          type: 'Blocked',
          status: 'True',
          reason: 'ConcurrencyLimit',
          message: expect.stringContaining(`runs are active in namespace "${QUEUE_NS}"`),
        },
      ],
      queue: { state: 'Queued', namespace: QUEUE_NS, kind: 'AgentRun', agent: 'coder', reason: 'ConcurrencyLimit' },
    });
    expect(byStatus(429)[0]!.json).toMatchObject({
      code: 'queue_full',
      phase: 'Pending',
      conditions: [
        {
          type: 'Blocked',
          reason: 'QueueLimit',
          message: `${WAITING} of ${WAITING} queued runs already wait in namespace "${QUEUE_NS}"; retry later`,
        },
      ],
    });
    // A queued run is not created until it is admitted, but its id already reads as a Pending run.
    const [queuedId, queuedAnswer] = [...answers].find(([, a]) => a.status === 202)!;
    expect((await dev.get(`/v1/agent-runs/${QUEUE_NS}/${queuedId}`)).status).toBe(404);
    const run = await dev.get(`/v1/runs/${queuedAnswer.json.id}`);
    expect(run.status, run.text).toBe(200);
    expect(run.json).toMatchObject({
      id: queuedAnswer.json.id,
      type: 'AgentRun',
      namespace: QUEUE_NS,
      name: queuedId,
      deliveryId: queuedId,
      phase: 'Pending',
      conditions: [{ type: 'Blocked', status: 'True', reason: 'ConcurrencyLimit' }],
    });
  });

  it('lists the waiting runs in the order they will be tried, each with its place in line', async () => {
    const queued = [...answers].filter(([, a]) => a.status === 202).map(([id, a]) => ({ id, at: String(a.json.queue.enqueuedAt) }));
    queued.sort((a, b) => a.at.localeCompare(b.at));
    const listed = await dev.get(`/v1/queue?namespace=${QUEUE_NS}`);
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((e: { deliveryId: string; position: number }) => [e.deliveryId, e.position])).toEqual(
      queued.map((q, i) => [q.id, i + 1]),
    );
    expect(listed.json.items[0]).toMatchObject({ state: 'Queued', reason: 'ConcurrencyLimit', requestedBy: 'dev', agent: 'coder' });
    // Paged, the places go on counting.
    const first = await dev.get(`/v1/queue?namespace=${QUEUE_NS}&limit=2`);
    const second = await dev.get(`/v1/queue?namespace=${QUEUE_NS}&limit=2&continue=${first.json.continue}`);
    expect(second.json.items.map((e: { position: number }) => e.position)).toEqual([3]);
  });

  it('replays the queued answer to a retry of the same deliveryId', async () => {
    const [id, first] = [...answers].find(([, a]) => a.status === 202)!;
    const again = await dev.post('/v1/agent-runs', stuck(id));
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
  });

  it('admits queued runs oldest first as running ones end, never more than the limit at once', async () => {
    const queued = [...answers]
      .filter(([, a]) => a.status === 202)
      .sort(([, a], [, b]) => String(a.json.queue.enqueuedAt).localeCompare(String(b.json.queue.enqueuedAt)));
    const started = [...answers].filter(([, a]) => a.status === 201).map(([id]) => id);
    // One running run ends: the oldest queued run, and only it, is admitted.
    expect((await dev.delete(`/v1/agent-runs/${QUEUE_NS}/${started[0]}`, `end-${started[0]}`)).status).toBe(200);
    const [oldest] = queued[0]!;
    // The most runs seen running at once while queued ones are admitted, checked once the waits are over.
    let mostRunning = 0;
    const admitted = await eventually('the oldest queued run to be admitted', async () => {
      const res = await dev.post('/v1/agent-runs', stuck(oldest));
      mostRunning = Math.max(mostRunning, await running());
      return res.status === 201 ? res : undefined;
    });
    expect(admitted.json.metadata.name).toBe(oldest);
    for (const [id] of queued.slice(1)) expect((await dev.post('/v1/agent-runs', stuck(id))).status).toBe(202);
    // The rest follow as the others end.
    expect((await dev.delete(`/v1/agent-runs/${QUEUE_NS}/${started[1]}`, `end-${started[1]}`)).status).toBe(200);
    expect((await dev.delete(`/v1/agent-runs/${QUEUE_NS}/${oldest}`, `end-${oldest}`)).status).toBe(200);
    await eventually('every queued run to be admitted', async () => {
      const statuses = await Promise.all(queued.map(async ([id]) => (await dev.post('/v1/agent-runs', stuck(id))).status));
      mostRunning = Math.max(mostRunning, await running());
      return statuses.every((s) => s === 201) ? true : undefined;
    });
    // Never over the limit, and a real count: the second started run was running all along the first wait.
    expect(mostRunning).toBeGreaterThanOrEqual(1);
    expect(mostRunning).toBeLessThanOrEqual(ACTIVE);
    // Each is listed once, as the run it became: never twice, as its queued entry and as the run.
    let mostListed = 0;
    await eventually('every admitted run to be listed once, as itself', async () => {
      const items = (await dev.get(`/v1/runs?namespace=${QUEUE_NS}&limit=500`)).json.items as Array<{ name: string; uid: string }>;
      const mine = items.filter((r) => queued.some(([id]) => id === r.name));
      mostListed = Math.max(mostListed, mine.length);
      return mine.length === queued.length && mine.every((r) => r.uid !== '') ? true : undefined;
    });
    expect(mostListed).toBe(queued.length);
  });

  it('refuses a queued run whose wait runs out with a final 410 queue_expired', async () => {
    const ns = 'queue-expiry';
    await withPolicy(ns, () =>
      dev.post('/v1/guardrails', {
        deliveryId: 'queue-expiry-guardrail',
        metadata: { namespace: ns, name: 'queue' },
        spec: { concurrency: { namespace: 1 }, queue: { maxWaitSeconds: 1 } },
      }),
    );
    const run = (id: string) => ({ ...stuckRun(id), metadata: { ...stuckRun(id).metadata, namespace: ns } });
    expect((await dev.post('/v1/agent-runs', run('expiry-0'))).status).toBe(201);
    const waiting = await dev.post('/v1/agent-runs', run('expiry-1'));
    expect(waiting.status).toBe(202);
    const expired = await eventually('the wait to run out', async () => {
      const res = await dev.post('/v1/agent-runs', run('expiry-1'));
      return res.status === 410 ? res : undefined;
    });
    expect(expired.json).toMatchObject({
      code: 'queue_expired',
      phase: 'Failed',
      conditions: [{ type: 'Blocked', reason: 'ConcurrencyLimit', message: expect.stringContaining('waited in the queue') }],
    });
    // Its id reads as the run it was: Failed, still held back by its limit, never created.
    expect((await dev.get(`/v1/runs/${waiting.json.id}`)).json).toMatchObject({
      phase: 'Failed',
      uid: '',
      conditions: [{ type: 'Blocked', reason: 'ConcurrencyLimit' }],
    });
    // Final: the same deliveryId replays it, even once a slot is free.
    expect((await dev.delete(`/v1/agent-runs/${ns}/expiry-0`, 'end-expiry-0')).status).toBe(200);
    const replay = await dev.post('/v1/agent-runs', run('expiry-1'));
    expect(replay.status).toBe(410);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('cancels a queued run that is deleted: the delete answers 200, its create a final 410 run_cancelled, and it never starts', async () => {
    const ns = 'queue-cancel';
    await withPolicy(ns, () =>
      dev.post('/v1/guardrails', {
        deliveryId: 'queue-cancel-guardrail',
        metadata: { namespace: ns, name: 'queue' },
        spec: { concurrency: { namespace: 1 }, queue: {} },
      }),
    );
    const run = (id: string) => ({ ...stuckRun(id), metadata: { ...stuckRun(id).metadata, namespace: ns } });
    expect((await dev.post('/v1/agent-runs', run('cancel-0'))).status).toBe(201);
    const waiting = await dev.post('/v1/agent-runs', run('cancel-1'));
    expect(waiting.status).toBe(202);
    // Listed while it waits, as its id reads: Pending, Blocked in its queue.
    const listed = (phase: string) =>
      eventually(`the run list to show cancel-1 ${phase}`, async () => {
        const items = (await dev.get(`/v1/runs?namespace=${ns}`)).json.items as Array<{ id: string; phase: string }>;
        const found = items.filter((r) => r.id === waiting.json.id);
        return found.length === 1 && found[0]!.phase === phase ? found[0] : undefined;
      });
    expect(await listed('Pending')).toMatchObject({
      name: 'cancel-1',
      uid: '',
      conditions: [{ type: 'Blocked', reason: 'ConcurrencyLimit' }],
    });

    const deleted = await dev.delete(`/v1/agent-runs/${ns}/cancel-1`, 'cancel-1-delete');
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json).toMatchObject({
      id: waiting.json.id,
      kind: 'AgentRun',
      metadata: { namespace: ns, name: 'cancel-1' },
      status: { phase: 'Cancelled', reason: 'DeletedWhileQueued' },
    });
    const deletedAgain = await dev.delete(`/v1/agent-runs/${ns}/cancel-1`, 'cancel-1-delete');
    expect(deletedAgain.status).toBe(200);
    expect(deletedAgain.text).toBe(deleted.text);

    // The create's final answer, replayed to every retry of its deliveryId.
    const cancelled = await eventually('the create to get its final answer', async () => {
      const res = await dev.post('/v1/agent-runs', run('cancel-1'));
      return res.status === 410 ? res : undefined;
    });
    expect(cancelled.json).toMatchObject({
      code: 'run_cancelled',
      phase: 'Cancelled',
      detail: expect.stringContaining('"cancel-1-delete"'),
      conditions: [{ type: 'Blocked', status: 'False', reason: 'Cancelled' }],
    });
    // Its id, from the 202, reads as the run it was: Cancelled, never created.
    const read = await dev.get(`/v1/runs/${waiting.json.id}`);
    expect(read.status, read.text).toBe(200);
    expect(read.json).toMatchObject({
      name: 'cancel-1',
      uid: '',
      phase: 'Cancelled',
      conditions: [{ type: 'Blocked', reason: 'Cancelled' }],
    });
    expect(await listed('Cancelled')).toMatchObject({ name: 'cancel-1', conditions: [{ type: 'Blocked', reason: 'Cancelled' }] });
    expect((await dev.get(`/v1/queue?namespace=${ns}`)).json.items).toEqual([]);
    expect((await dev.get(`/v1/queue?namespace=${ns}&state=Cancelled`)).json.items).toEqual([
      expect.objectContaining({ deliveryId: 'cancel-1', state: 'Cancelled', name: 'cancel-1' }),
    ]);

    // The slot frees: the next run takes it at once, and the cancelled one never starts.
    expect((await dev.delete(`/v1/agent-runs/${ns}/cancel-0`, 'end-cancel-0')).status).toBe(200);
    const next = await eventually('the freed slot to take a new run', async () => {
      const res = await dev.post('/v1/agent-runs', run('cancel-2'));
      return res.status === 201 ? res : undefined;
    });
    expect(next.json.metadata.name).toBe('cancel-2');
    expect((await dev.get(`/v1/agent-runs/${ns}/cancel-1`)).status).toBe(404);
    expect((await dev.post('/v1/agent-runs', run('cancel-1'))).status).toBe(410);
  });
});

describe('audit-mode limits', () => {
  const AUDIT_NS = 'conc-audit';
  const run = (deliveryId: string) => ({ ...stuckRun(deliveryId), metadata: { ...stuckRun(deliveryId).metadata, namespace: AUDIT_NS } });

  beforeAll(() =>
    withPolicy(AUDIT_NS, () =>
      dev.post('/v1/guardrails', {
        deliveryId: 'conc-audit-guardrail',
        metadata: { namespace: AUDIT_NS, name: 'watch' },
        spec: { mode: 'audit', concurrency: { namespace: 1 } },
      }),
    ),
  );

  it('lets runs past an audit-mode limit, records the would-be refusal, and still counts their slots', async () => {
    const answers = await Promise.all(['audit-0', 'audit-1', 'audit-2'].map((id) => dev.post('/v1/agent-runs', run(id))));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const recorded = await eventually('audit to record the would-be refusals', async () => {
      const { rows } = await stack.db.query<{ verdict: string; violations: Array<{ ruleId: string }> }>(
        "select verdict, violations from audit.policy_decisions where delivery_id in ('audit-0', 'audit-1', 'audit-2')",
      );
      // Whichever of the three came first fit; the other two passed the limit.
      const over = rows.filter((r) => r.violations.some((v) => v.ruleId === 'concurrency-limit'));
      return rows.length === 3 && over.length === 2 ? over : undefined;
    });
    for (const r of recorded) {
      expect(r.verdict).toBe('allow');
      expect(r.violations).toContainEqual(expect.objectContaining({ ruleId: 'concurrency-limit', mode: 'audit' }));
    }
    // Enforced now: the three audited runs hold their slots, so the next run is refused with the true count.
    const versionNow = async () =>
      (await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', ...run('x') })).json?.policyVersion as string | undefined;
    const before = await versionNow();
    const patched = await dev.patch(`/v1/guardrails/${AUDIT_NS}/watch`, { spec: { mode: 'enforce' } }, 'conc-audit-enforce');
    expect(patched.status, patched.text).toBe(200);
    await eventually('both policy replicas to enforce the limit', async () => {
      const versions = await Promise.all([1, 2, 3, 4, 5, 6].map(versionNow));
      return versions.every((v) => v && v !== before) ? true : undefined;
    });
    const refused = await dev.post('/v1/agent-runs', run('audit-3'));
    expect(refused.status).toBe(429);
    expect(refused.json.violations).toContainEqual(
      expect.objectContaining({
        ruleId: 'concurrency-limit',
        reason: `3 of 1 runs are active in namespace "${AUDIT_NS}"; retry when one ends`,
      }),
    );
  });
});
