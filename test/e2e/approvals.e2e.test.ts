import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stuckRunBody } from '../support/fixtures.js';
import { api, eventually, testStack } from '../support/stack.js';

let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
/** alice asks; bob approves; carol is on the team without the approver role; eve approves for another team. */
let alice: ReturnType<typeof api>;
let bob: ReturnType<typeof api>;
let carol: ReturnType<typeof api>;
let eve: ReturnType<typeof api>;

const TOKENS = [
  { token: 'alice-token', subject: 'alice', namespaces: ['apr-a', 'apr-expiry', 'apr-audit', 'apr-queue'] },
  { token: 'bob-token', subject: 'bob', namespaces: ['apr-a', 'apr-expiry', 'apr-queue'], roles: ['approver'] },
  { token: 'carol-token', subject: 'carol', namespaces: ['apr-a'] },
  { token: 'eve-token', subject: 'eve', namespaces: ['apr-b'], roles: ['approver'] },
];

const privilegedRun = (namespace: string, name: string, deliveryId: string) => ({
  deliveryId,
  metadata: { namespace, name },
  spec: {
    agentRef: { name: 'coder' },
    runtime: { type: 'job', config: { serviceAccountName: 'deployer' } },
    implementation: { inline: { text: 'ship it' } },
  },
});

/** Agent coder (may run as deployer) and a Guardrail that holds deployer runs and deployments for approval. */
async function gatedNamespace(namespace: string, approvals: Record<string, unknown>, mode: 'enforce' | 'audit' = 'enforce') {
  const agent = await dev.post('/v1/agents', {
    deliveryId: `agent-${namespace}`,
    metadata: { namespace, name: 'coder' },
    spec: { providerRef: { name: 'codex' }, security: { allowedServiceAccounts: ['default', 'deployer'] } },
  });
  expect(agent.status, agent.text).toBe(201);
  const guardrail = await dev.post('/v1/guardrails', {
    deliveryId: `guardrail-${namespace}`,
    metadata: { namespace, name: 'approvals' },
    spec: { mode, approvals: { privilegedServiceAccounts: ['deployer'], deploymentSelector: 'proompteng.ai/deploy=true', ...approvals } },
  });
  expect(guardrail.status, guardrail.text).toBe(201);
  // The policy service learns of the Guardrail through its informer.
  const { deliveryId: _id, ...body } = privilegedRun(namespace, 'probe', 'probe');
  await eventually(`the Guardrail in ${namespace} to hold deployer runs`, async () => {
    const res = await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', ...body });
    const gated = res.json?.violations?.some((v: { ruleId: string }) => v.ruleId === 'approval-required');
    return gated ? res.json : undefined;
  });
}

/** Submits a privileged run as alice and returns the approval holding it. */
async function held(namespace: string, name: string) {
  const res = await alice.post('/v1/agent-runs', privilegedRun(namespace, name, `run-${name}`));
  expect(res.status, res.text).toBe(202);
  return res.json.approval as { id: string };
}

beforeAll(async () => {
  stack = await testStack({ env: { JANGAR_API_TOKENS: JSON.stringify(TOKENS), JANGAR_POLICY_APPROVAL_SWEEP_MS: '300' } });
  dev = api(stack.gatewayUrl, stack.devToken);
  alice = api(stack.gatewayUrl, 'alice-token');
  bob = api(stack.gatewayUrl, 'bob-token');
  carol = api(stack.gatewayUrl, 'carol-token');
  eve = api(stack.gatewayUrl, 'eve-token');
  await gatedNamespace('apr-a', { approverRole: 'approver' });
});

afterAll(async () => {
  await stack?.close();
});

/** The run `id` as `caller` finds it in `GET /v1/runs?namespace=…`, once it is listed in `phase`; never listed twice meanwhile. */
async function listedRun(caller: ReturnType<typeof api>, namespace: string, id: string, phase: string) {
  // How often each read listed the run, checked once the wait is over (an expect in the probe would only retry it).
  const timesListed: number[] = [];
  const run = await eventually(`run ${id} to be listed ${phase}`, async () => {
    const items = (await caller.get(`/v1/runs?namespace=${namespace}`)).json.items as Array<{
      id: string;
      phase: string;
      conditions: Array<Record<string, unknown>>;
    }>;
    const found = items.filter((r) => r.id === id);
    timesListed.push(found.length);
    return found[0]?.phase === phase ? found[0] : undefined;
  });
  expect(Math.max(...timesListed)).toBe(1);
  return run;
}

describe('approvals', () => {
  it('holds a privileged run: 202 Pending with an AwaitingApproval condition, listed for approvers, nothing created', async () => {
    const res = await alice.post('/v1/agent-runs', privilegedRun('apr-a', 'deploy-1', 'run-deploy-1'));
    expect(res.status, res.text).toBe(202);
    expect(res.json).toMatchObject({
      kind: 'AgentRun',
      status: 'AwaitingApproval',
      phase: 'Pending',
      deliveryId: 'run-deploy-1',
      conditions: [{ type: 'AwaitingApproval', status: 'True', reason: 'ApprovalRequired', message: expect.stringContaining('deployer') }],
      approval: {
        state: 'Pending',
        requestedBy: 'alice',
        approverRole: 'approver',
        gates: [{ ruleId: 'approval-required', path: 'spec.runtime.config.serviceAccountName' }],
      },
    });
    const { id } = res.json.approval;
    expect(res.json.links.approval).toBe(`/v1/approvals/${id}`);

    const retry = await alice.post('/v1/agent-runs', privilegedRun('apr-a', 'deploy-1', 'run-deploy-1'));
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json.approval.id).toBe(id);

    const queue = await bob.get('/v1/approvals?state=Pending&namespace=apr-a');
    expect(queue.status).toBe(200);
    const listed = queue.json.items.find((a: { id: string }) => a.id === id);
    expect(listed).toMatchObject({ kind: 'AgentRun', verb: 'create', name: 'deploy-1', request: { metadata: { name: 'deploy-1' } } });
    expect((await eve.get('/v1/approvals')).json.items.map((a: { id: string }) => a.id)).not.toContain(id);
    expect((await dev.get('/v1/agent-runs/apr-a/deploy-1')).status).toBe(404);
    // Not created, yet its id reads as a Pending run held for approval.
    const held = await alice.get(`/v1/runs/${res.json.id}`);
    expect(held.status, held.text).toBe(200);
    expect(held.json).toMatchObject({
      id: res.json.id,
      name: 'deploy-1',
      phase: 'Pending',
      conditions: [{ type: 'AwaitingApproval', reason: 'ApprovalRequired' }],
    });
    // Another team's caller cannot tell it exists.
    expect((await eve.get(`/v1/runs/${res.json.id}`)).status).toBe(404);
    // Listed as it reads, for its team only.
    const inList = await listedRun(alice, 'apr-a', res.json.id, 'Pending');
    expect(inList).toMatchObject({ name: 'deploy-1', uid: '', conditions: [{ type: 'AwaitingApproval', reason: 'ApprovalRequired' }] });
    expect((await eve.get('/v1/runs')).json.items.map((r: { id: string }) => r.id)).not.toContain(res.json.id);
  });

  it('refuses self-approval, an approver without the role, and an approver of another team', async () => {
    const { id } = await held('apr-a', 'deploy-2');
    const self = await alice.post(`/v1/approvals/${id}/approve`, { deliveryId: 'self-1' });
    expect(self.status).toBe(403);
    expect(self.headers.get('content-type')).toContain('application/problem+json');
    expect(self.json.code).toBe('self_approval_forbidden');
    const noRole = await carol.post(`/v1/approvals/${id}/approve`, { deliveryId: 'carol-1' });
    expect(noRole.status).toBe(403);
    expect(noRole.json.code).toBe('approver_role_required');
    expect((await eve.post(`/v1/approvals/${id}/approve`, { deliveryId: 'eve-1' })).status).toBe(404);
    expect((await bob.get(`/v1/approvals/${id}`)).json.state).toBe('Pending');
  });

  it('provisions an approved run, records the approver, and answers the original deliveryId with the run', async () => {
    const { id } = await held('apr-a', 'deploy-3');
    const approved = await bob.post(`/v1/approvals/${id}/approve`, { deliveryId: 'bob-approves-3', reason: 'change window' });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json).toMatchObject({
      id,
      state: 'Approved',
      decidedBy: 'bob',
      decisionDeliveryId: 'bob-approves-3',
      reason: 'change window',
    });

    const again = await bob.post(`/v1/approvals/${id}/approve`, { deliveryId: 'bob-approves-3', reason: 'change window' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json.decidedAt).toBe(approved.json.decidedAt);
    const other = await bob.post(`/v1/approvals/${id}/deny`, { deliveryId: 'bob-denies-3' });
    expect(other.status).toBe(409);
    expect(other.json.code).toBe('approval_already_decided');

    const answer = await eventually('the held request to be answered', async () => {
      const r = await alice.post('/v1/agent-runs', privilegedRun('apr-a', 'deploy-3', 'run-deploy-3'));
      return r.status === 201 ? r : undefined;
    });
    expect(answer.json).toMatchObject({ kind: 'AgentRun', metadata: { name: 'deploy-3', namespace: 'apr-a' } });
    await eventually('the approved run to succeed', async () => {
      const run = await dev.get(`/v1/runs/${answer.json.id}`);
      return run.json?.phase === 'Succeeded' ? run.json : undefined;
    });
    // Audit keeps both decisions of the held request: the hold, and the one its approval settled.
    const verdicts = await eventually('both decisions to be recorded', async () => {
      const r = await stack.db.query(`select verdict from audit.policy_decisions where delivery_id = 'run-deploy-3' order by decided_at`);
      return r.rows.length === 2 ? r.rows.map((row: { verdict: string }) => row.verdict) : undefined;
    });
    expect(verdicts).toEqual(['pending', 'allow']);
  });

  it('queues an approved run its namespace has no room for, tells its requester 202 Queued, and starts it once a slot frees', async () => {
    const ns = 'apr-queue';
    await gatedNamespace(ns, { approverRole: 'approver' });
    const evaluate = () => dev.post('/v1/policy/evaluate', { kind: 'AgentRun', ...stuckRunBody(ns, 'probe') });
    const before = (await evaluate()).json.policyVersion;
    const limit = await dev.post('/v1/guardrails', {
      deliveryId: 'guardrail-apr-queue-limit',
      metadata: { namespace: ns, name: 'limit' },
      spec: { concurrency: { namespace: 1 }, queue: { namespace: 2 } },
    });
    expect(limit.status, limit.text).toBe(201);
    await eventually('the policy service to know the limit', async () =>
      (await evaluate()).json?.policyVersion !== before ? true : undefined,
    );
    const holder = await alice.post('/v1/agent-runs', stuckRunBody(ns, 'apr-queue-holder'));
    expect(holder.status, holder.text).toBe(201);
    const { id } = await held(ns, 'deploy-q');
    const approved = await bob.post(`/v1/approvals/${id}/approve`, { deliveryId: 'bob-approves-q' });
    expect(approved.status, approved.text).toBe(200);

    // Approved with no room, the run waits in its namespace's queue, and its requester is told so.
    const queued = await eventually('the approved run to be queued', async () => {
      const r = await alice.post('/v1/agent-runs', privilegedRun(ns, 'deploy-q', 'run-deploy-q'));
      return r.status === 202 && r.json?.status === 'Queued' ? r : undefined;
    });
    expect(queued.json.queue).toMatchObject({ state: 'Queued', namespace: ns, reason: 'ConcurrencyLimit' });

    expect((await dev.delete(`/v1/agent-runs/${ns}/apr-queue-holder`, 'end-apr-queue-holder')).status).toBe(200);
    const answer = await eventually('the approved run to start', async () => {
      const r = await alice.post('/v1/agent-runs', privilegedRun(ns, 'deploy-q', 'run-deploy-q'));
      return r.status === 201 ? r : undefined;
    });
    expect(answer.json).toMatchObject({ kind: 'AgentRun', metadata: { name: 'deploy-q', namespace: ns } });
    // Audit keeps the hold, the wait its approval led to, and the start.
    const verdicts = await eventually('the three decisions to be recorded', async () => {
      const r = await stack.db.query(`select verdict from audit.policy_decisions where delivery_id = 'run-deploy-q' order by decided_at`);
      return r.rows.length === 3 ? r.rows.map((row: { verdict: string }) => row.verdict) : undefined;
    });
    expect(verdicts).toEqual(['pending', 'pending', 'allow']);
  });

  it("rejects a denied run with 403 approval_denied and the approver's reason, and never creates it", async () => {
    const { id } = await held('apr-a', 'deploy-4');
    const denied = await bob.post(`/v1/approvals/${id}/deny`, { reason: 'not during the freeze' }, { 'idempotency-key': 'bob-denies-4' });
    expect(denied.status, denied.text).toBe(200);
    expect(denied.json).toMatchObject({ state: 'Denied', decidedBy: 'bob' });
    const answer = await eventually('the denial to reach the requester', async () => {
      const r = await alice.post('/v1/agent-runs', privilegedRun('apr-a', 'deploy-4', 'run-deploy-4'));
      return r.status === 403 ? r : undefined;
    });
    expect(answer.json).toMatchObject({ code: 'approval_denied', detail: expect.stringContaining('not during the freeze') });
    expect((await dev.get('/v1/agent-runs/apr-a/deploy-4')).status).toBe(404);
    // It waited, so it stays listed: Failed, with the conditions its id reads with. The transition
    // time may differ by a few ms: the gateway stamps when it stored the answer, the list the outcome's time.
    const runId = (await alice.get(`/v1/approvals/${id}`)).json.request.id as string;
    const read = (await alice.get(`/v1/runs/${runId}`)).json;
    const withoutTime = (conditions: Array<Record<string, unknown>>) => conditions.map(({ lastTransitionTime: _t, ...c }) => c);
    const listed = await listedRun(alice, 'apr-a', runId, 'Failed');
    expect(withoutTime(listed.conditions)).toEqual(withoutTime(read.conditions));
    expect(listed.conditions[0]).toMatchObject({
      type: 'Failed',
      reason: 'ApprovalDenied',
      message: expect.stringContaining('not during the freeze'),
    });
  });

  it('holds a deployment (labels matching the selector) and a run of an Agent an ApprovalPolicy names', async () => {
    const deployment = await alice.post('/v1/agent-runs', {
      deliveryId: 'deployment-1',
      metadata: { namespace: 'apr-a', name: 'release', labels: { 'proompteng.ai/deploy': 'true' } },
      spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'release' } } },
    });
    expect(deployment.status, deployment.text).toBe(202);
    expect(deployment.json.approval.gates).toEqual([expect.objectContaining({ path: 'metadata.labels' })]);

    const policy = await dev.post('/v1/approval-policies', {
      deliveryId: 'approval-policy-1',
      metadata: { namespace: 'apr-a', name: 'coder-runs' },
      spec: { subjects: [{ kind: 'Agent', name: 'coder' }] },
    });
    expect(policy.status, policy.text).toBe(201);
    const plain = { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'plain' } } };
    const decision = await eventually('the ApprovalPolicy to hold runs of coder', async () => {
      const res = await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', metadata: { namespace: 'apr-a' }, spec: plain });
      return res.json?.verdict === 'pending' ? res.json : undefined;
    });
    expect(decision.violations).toEqual([
      expect.objectContaining({ ruleId: 'approval-required', path: 'spec.agentRef.name', policy: 'ApprovalPolicy apr-a/coder-runs' }),
    ]);
    const deleted = await dev.delete('/v1/approval-policies/apr-a/coder-runs', 'approval-policy-1-delete');
    expect(deleted.status, deleted.text).toBe(200);
  });

  it('cancels a run held for approval when it is deleted: the delete answers 200, its create a final 410 run_cancelled, and nobody can approve it after', async () => {
    const res = await alice.post('/v1/agent-runs', privilegedRun('apr-a', 'deploy-6', 'run-deploy-6'));
    expect(res.status, res.text).toBe(202);
    const { id } = res.json.approval;

    const deleted = await alice.delete('/v1/agent-runs/apr-a/deploy-6', 'deploy-6-delete');
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json).toMatchObject({
      id: res.json.id,
      kind: 'AgentRun',
      metadata: { namespace: 'apr-a', name: 'deploy-6', uid: '' },
      status: { phase: 'Cancelled', reason: 'DeletedWhileAwaitingApproval' },
    });
    const deletedAgain = await alice.delete('/v1/agent-runs/apr-a/deploy-6', 'deploy-6-delete');
    expect(deletedAgain.status).toBe(200);
    expect(deletedAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(deletedAgain.text).toBe(deleted.text);

    // The create's final answer, replayed byte for byte to every retry of its deliveryId.
    const cancelled = await eventually('the create to get its final answer', async () => {
      const r = await alice.post('/v1/agent-runs', privilegedRun('apr-a', 'deploy-6', 'run-deploy-6'));
      return r.status === 410 ? r : undefined;
    });
    expect(cancelled.json).toMatchObject({
      code: 'run_cancelled',
      phase: 'Cancelled',
      detail: expect.stringContaining(`alice deleted the run while it waited for approval ${id}`),
      conditions: [{ type: 'Blocked', status: 'False', reason: 'Cancelled', message: 'deleted while it waited for approval' }],
    });
    const replay = await alice.post('/v1/agent-runs', privilegedRun('apr-a', 'deploy-6', 'run-deploy-6'));
    expect(replay.status).toBe(410);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(cancelled.text);
    const run = await alice.get(`/v1/runs/${res.json.id}`);
    expect(run.status, run.text).toBe(200);
    expect(run.json).toMatchObject({
      id: res.json.id,
      name: 'deploy-6',
      phase: 'Cancelled',
      conditions: [{ type: 'Blocked', reason: 'Cancelled' }],
    });

    // The approval is no longer waiting, and deciding it now is refused like deciding any decided approval.
    expect((await bob.get(`/v1/approvals/${id}`)).json).toMatchObject({ state: 'Cancelled', decidedBy: 'alice' });
    const ids = async (state: string) =>
      (await bob.get(`/v1/approvals?state=${state}&namespace=apr-a`)).json.items.map((a: { id: string }) => a.id);
    expect(await ids('Pending')).not.toContain(id);
    expect(await ids('Cancelled')).toEqual([id]);
    for (const verdict of ['approve', 'deny']) {
      const late = await bob.post(`/v1/approvals/${id}/${verdict}`, { deliveryId: `bob-${verdict}s-6` });
      expect(late.status, late.text).toBe(409);
      expect(late.headers.get('content-type')).toContain('application/problem+json');
      expect(late.json).toMatchObject({ code: 'approval_already_decided', detail: expect.stringContaining('cancelled') });
    }

    // It never starts: a run approved after it is provisioned, and the cancelled one still does not exist.
    const { id: next } = await held('apr-a', 'deploy-7');
    expect((await bob.post(`/v1/approvals/${next}/approve`, { deliveryId: 'bob-approves-7' })).status).toBe(200);
    await eventually('the run approved after it to exist', async () =>
      (await dev.get('/v1/agent-runs/apr-a/deploy-7')).status === 200 ? true : undefined,
    );
    expect((await dev.get('/v1/agent-runs/apr-a/deploy-6')).status).toBe(404);
    expect((await alice.post('/v1/agent-runs', privilegedRun('apr-a', 'deploy-6', 'run-deploy-6'))).text).toBe(cancelled.text);
    // Audit keeps the hold and the refusal the delete settled it with; no decision allowed the delete on to the provisioner.
    const verdicts = await eventually('both decisions of the create to be recorded', async () => {
      const r = await stack.db.query(`select verdict from audit.policy_decisions where delivery_id = 'run-deploy-6' order by decided_at`);
      return r.rows.length === 2 ? r.rows.map((row: { verdict: string }) => row.verdict) : undefined;
    });
    expect(verdicts).toEqual(['pending', 'deny']);
    await eventually('the delete to be audited', async () => {
      const r = await stack.db.query(`select 1 from audit.audit_events where delivery_id = 'deploy-6-delete'`);
      return r.rows.length > 0 ? true : undefined;
    });
    expect((await stack.db.query(`select 1 from audit.policy_decisions where delivery_id = 'deploy-6-delete'`)).rows).toEqual([]);
  });

  it('expires an approval nobody decided: the requester gets 410 approval_expired and nobody can approve it after', async () => {
    await gatedNamespace('apr-expiry', { expireAfterSeconds: 1 });
    const { id } = await held('apr-expiry', 'late');
    await eventually('the approval to expire', async () =>
      (await bob.get(`/v1/approvals/${id}`)).json?.state === 'Expired' ? true : undefined,
    );
    const answer = await eventually('the expiry to reach the requester', async () => {
      const r = await alice.post('/v1/agent-runs', privilegedRun('apr-expiry', 'late', 'run-late'));
      return r.status === 410 ? r : undefined;
    });
    expect(answer.json.code).toBe('approval_expired');
    const tooLate = await bob.post(`/v1/approvals/${id}/approve`, { deliveryId: 'bob-late' });
    expect(tooLate.status).toBe(409);
    expect(tooLate.json.code).toBe('approval_already_decided');
    expect((await dev.get('/v1/agent-runs/apr-expiry/late')).status).toBe(404);
  });

  it('lets a run through an audit-mode gate and records the would-be hold in the decision', async () => {
    await gatedNamespace('apr-audit', {}, 'audit');
    const res = await alice.post('/v1/agent-runs', privilegedRun('apr-audit', 'audited', 'run-audited'));
    expect(res.status, res.text).toBe(201);
    const rows = await eventually('the decision to be recorded', async () => {
      const r = await stack.db.query(`select verdict, violations from audit.policy_decisions where delivery_id = 'run-audited'`);
      return r.rows.length > 0 ? r.rows : undefined;
    });
    expect(rows[0]).toMatchObject({
      verdict: 'allow',
      violations: [expect.objectContaining({ ruleId: 'approval-required', mode: 'audit' })],
    });
  });

  it('answers 404 for an approval id that is not a UUID and 400 naming the field for a bad decision body', async () => {
    expect((await bob.get('/v1/approvals/not-a-uuid')).status).toBe(404);
    const { id } = await held('apr-a', 'deploy-5');
    const bad = await bob.post(`/v1/approvals/${id}/approve`, { deliveryId: 'bob-5', verdict: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ path: 'verdict', message: 'unknown field' }]);
    const missing = await bob.post(`/v1/approvals/${id}/approve`, {});
    expect(missing.status).toBe(400);
    expect(missing.json.code).toBe('delivery_id_required');
  });
});
