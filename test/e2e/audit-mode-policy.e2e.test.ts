import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, testStack } from '../support/stack.js';
import { stuckRunBody } from '../support/fixtures.js';

// The built-in guardrail audits (JANGAR_POLICY_MODE=audit), so a spent Budget only records its
// would-be refusal; a namespace's own Guardrail still enforces its limit and queue.
const NS = 'audited';
let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;

/** A run of Agent coder that stays Running until it is deleted. */
const stuckRun = (deliveryId: string) => stuckRunBody(NS, deliveryId);

/** The policy version a run's dry run is decided under now. */
const versionNow = async () =>
  (await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', ...stuckRun('x') })).json?.policyVersion as string;

/** Creates a policy resource and waits until decisions are made with it. */
async function withPolicy(path: string, body: object) {
  const before = await eventually('a policy version', versionNow);
  const created = await dev.post(path, body);
  expect(created.status, created.text).toBe(201);
  await eventually(`policy to know ${path}`, async () => ((await versionNow()) !== before ? true : undefined));
}

beforeAll(async () => {
  stack = await testStack({ env: { JANGAR_POLICY_MODE: 'audit' } });
  dev = api(stack.gatewayUrl, stack.devToken);
  const agent = await dev.post('/v1/agents', {
    deliveryId: 'agent',
    metadata: { namespace: NS, name: 'coder' },
    spec: { providerRef: { name: 'codex' } },
  });
  expect(agent.status, agent.text).toBe(201);
  await withPolicy('/v1/budgets', {
    deliveryId: 'budget',
    metadata: { namespace: NS, name: 'one-run' },
    spec: { limits: { runs: 1 }, period: '1h', subjects: [{ kind: 'Agent', name: 'coder' }] },
  });
  await withPolicy('/v1/guardrails', {
    deliveryId: 'guardrail',
    metadata: { namespace: NS, name: 'one-at-a-time' },
    spec: { mode: 'enforce', concurrency: { namespace: 1 }, queue: { namespace: 5 } },
  });
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe('an audited budget beside an enforced limit with a queue', () => {
  it('queues a run the limit holds back even though the audited budget is spent, and starts it once the slot frees', async () => {
    const first = await dev.post('/v1/agent-runs', stuckRun('first'));
    expect(first.status, first.text).toBe(201);
    // The budget's one run is spent, but it only audits: the enforced limit decides, and it queues.
    const second = await dev.post('/v1/agent-runs', stuckRun('second'));
    expect(second.status, second.text).toBe(202);
    expect(second.json).toMatchObject({
      status: 'Queued',
      conditions: [{ type: 'Blocked', reason: 'ConcurrencyLimit' }],
      queue: { state: 'Queued', reason: 'ConcurrencyLimit' },
    });
    const { rows } = await eventually('audit to record the decision that queued the second run', async () => {
      const found = await stack.db.query<{ violations: Array<{ ruleId: string; mode?: string }> }>(
        "select violations from audit.policy_decisions where delivery_id = 'second' and verdict = 'pending'",
      );
      return found.rows.length > 0 ? found : undefined;
    });
    expect(rows[0]!.violations).toContainEqual(expect.objectContaining({ ruleId: 'budget-exceeded', mode: 'audit' }));
    expect(rows[0]!.violations).toContainEqual(expect.objectContaining({ ruleId: 'concurrency-limit' }));

    const deleted = await dev.delete(`/v1/agent-runs/${NS}/first`, 'end-first');
    expect(deleted.status, deleted.text).toBe(200);
    const started = await eventually('the queued run to start', async () => {
      const run = await dev.get(`/v1/runs/${second.json.id}`);
      return run.status === 200 && run.json.uid ? run.json : undefined;
    });
    expect(started).toMatchObject({ name: 'second', namespace: NS });
  });
});
