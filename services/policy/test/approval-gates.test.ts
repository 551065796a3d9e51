import { describe, expect, it } from 'vitest';
import { GuardrailSpec, type RequestPayload } from '@jangar/contracts';
import { approvalGates } from '../src/approvals/gates.js';
import type { DecisionContext } from '../src/context.js';

const run = (spec: object, labels?: Record<string, string>, kind = 'AgentRun'): RequestPayload => ({
  id: '00000000-0000-4000-8000-000000000001',
  kind,
  verb: 'create',
  metadata: { namespace: 'team-a', name: 'r', ...(labels ? { labels } : {}) },
  spec,
});
const asDeployer = { agentRef: { name: 'coder' }, runtime: { type: 'job', config: { serviceAccountName: 'deployer' } } };
const plain = { agentRef: { name: 'coder' }, runtime: { type: 'job' } };

function ctx(approvals?: object, over: Partial<DecisionContext> = {}, mode: 'enforce' | 'audit' = 'enforce'): DecisionContext {
  return {
    namespace: 'team-a',
    baselineMode: 'enforce',
    guardrails: [
      {
        id: 'Guardrail team-a/approvals',
        version: '1',
        mode,
        scope: 'namespace',
        spec: GuardrailSpec.parse({ mode, ...(approvals ? { approvals } : {}) }),
      },
    ],
    agent: undefined,
    secretBindings: [],
    budgets: [],
    approvalPolicies: [],
    ...over,
  };
}
const gatesOf = (request: RequestPayload, c: DecisionContext) => approvalGates(request, { kind: request.kind, spec: request.spec }, c);

describe('approval gates', () => {
  it('holds a run executing as a privileged service account, naming the field and the guardrail', () => {
    const held = gatesOf(run(asDeployer), ctx({ privilegedServiceAccounts: ['deployer'] }));
    expect(held.gates).toEqual([
      {
        ruleId: 'approval-required',
        path: 'spec.runtime.config.serviceAccountName',
        reason: 'runs as privileged service account "deployer" (Guardrail team-a/approvals)',
        policy: 'Guardrail team-a/approvals',
        mode: 'enforce',
      },
    ]);
    expect(gatesOf(run(plain), ctx({ privilegedServiceAccounts: ['deployer'] })).gates).toEqual([]);
  });

  it('holds a change that makes a run privileged, through either field, and not one to a run that already was', () => {
    const c = ctx({ privilegedServiceAccounts: ['deployer'] });
    const patch = (before: object, after: object) =>
      approvalGates({ ...run(after), verb: 'patch', patch: {} }, { kind: 'AgentRun', spec: after, before }, c).gates.map((g) => g.path);
    // Created as `default`, unheld; then patched to run as `deployer` before it starts.
    expect(patch(plain, asDeployer)).toEqual(['spec.runtime.config.serviceAccountName']);
    expect(patch(plain, { ...plain, serviceAccountName: 'deployer' })).toEqual(['spec.serviceAccountName']);
    // Its create was held for `deployer`: a label change holds nothing.
    expect(patch(asDeployer, asDeployer)).toEqual([]);
    expect(
      approvalGates({ ...run(asDeployer), verb: 'update' }, { kind: 'AgentRun', spec: asDeployer, before: plain }, c).gates,
    ).toHaveLength(1);
    // No object to change (gone, or not made yet): nothing to hold; the provisioner answers 404.
    expect(approvalGates({ ...run(asDeployer), verb: 'update' }, { kind: 'AgentRun', spec: asDeployer }, c).gates).toEqual([]);
  });

  it('holds a deployment: a run whose labels match the selector', () => {
    const c = ctx({ deploymentSelector: 'proompteng.ai/deploy=true,env in (prod)' });
    expect(gatesOf(run(plain, { 'proompteng.ai/deploy': 'true', env: 'prod' }), c).gates).toHaveLength(1);
    expect(gatesOf(run(plain, { 'proompteng.ai/deploy': 'true', env: 'dev' }), c).gates).toEqual([]);
    expect(gatesOf(run(plain), c).gates).toEqual([]);
  });

  it("holds what an ApprovalPolicy names: a run's Agent, an OrchestrationRun's Orchestration, or the resource itself", () => {
    const policy = (subjects: object[], mode?: string) => ({
      approvalPolicies: [{ id: 'ApprovalPolicy team-a/p', version: '1', spec: { subjects, ...(mode ? { mode } : {}) } as never }],
    });
    expect(gatesOf(run(plain), ctx(undefined, policy([{ kind: 'Agent', name: 'coder' }]))).gates[0]).toMatchObject({
      path: 'spec.agentRef.name',
      mode: 'enforce',
    });
    const orchestrationRun = run({ orchestrationRef: { name: 'release' } }, undefined, 'OrchestrationRun');
    expect(gatesOf(orchestrationRun, ctx(undefined, policy([{ kind: 'Orchestration', name: 'release' }]))).gates).toHaveLength(1);
    const guardrailChange: RequestPayload = {
      ...run({}, undefined, 'Guardrail'),
      verb: 'patch',
      metadata: { namespace: 'team-a', name: 'default' },
    };
    expect(gatesOf(guardrailChange, ctx(undefined, policy([{ kind: 'Guardrail', name: 'default' }]))).gates[0]).toMatchObject({
      path: 'metadata.name',
    });
    expect(gatesOf(run(plain), ctx(undefined, policy([{ kind: 'Agent', name: 'coder', namespace: 'team-b' }]))).gates).toEqual([]);
    expect(gatesOf(run(plain), ctx(undefined, policy([{ kind: 'Agent', name: 'coder' }], 'audit'))).gates[0]?.mode).toBe('audit');
  });

  it("reports an audit-mode guardrail's gate in audit mode, so it holds nothing", () => {
    expect(gatesOf(run(asDeployer), ctx({ privilegedServiceAccounts: ['deployer'] }, {}, 'audit')).gates[0]?.mode).toBe('audit');
  });

  it('takes the approver role and expiry from the most specific guardrail, with safe defaults', () => {
    expect(gatesOf(run(plain), ctx())).toMatchObject({ approverRole: 'approver', expireAfterSeconds: 86400 });
    expect(gatesOf(run(plain), ctx({ approverRole: 'release-manager', expireAfterSeconds: 600 }))).toMatchObject({
      approverRole: 'release-manager',
      expireAfterSeconds: 600,
    });
  });

  it("keeps the cluster default's approver role and expiry for its own gates, whatever a namespace's Guardrail says", () => {
    const cluster = {
      id: 'Guardrail jangar-system/default',
      version: '1',
      mode: 'enforce' as const,
      scope: 'cluster' as const,
      spec: GuardrailSpec.parse({
        approvals: { privilegedServiceAccounts: ['deployer'], approverRole: 'security', expireAfterSeconds: 600 },
      }),
    };
    // team-a's own Guardrail names an easier role and a longer wait, and raises no gate of its own.
    const loosened = ctx({ approverRole: 'approver', expireAfterSeconds: 604800 });
    const held = gatesOf(run(asDeployer), { ...loosened, guardrails: [cluster, ...loosened.guardrails] });
    expect(held.gates).toHaveLength(1);
    expect(held).toMatchObject({ approverRole: 'security', expireAfterSeconds: 600 });
  });

  it('refuses a Guardrail whose deployment selector is not a label selector', () => {
    const parsed = GuardrailSpec.safeParse({ approvals: { deploymentSelector: 'env in prod' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['approvals', 'deploymentSelector']);
  });
});
