import { describe, expect, it } from 'vitest';
import { GuardrailSpec, type RequestPayload } from '@jangar/contracts';
import type { DecisionContext } from '../src/context.js';
import { evaluate } from '../src/evaluate.js';
import { imageMatches } from '../src/rules.js';

const now = new Date('2026-11-25T00:00:00Z');
const runSpec = (extra: object = {}) => ({ agentRef: { name: 'coder' }, runtime: { type: 'job' }, ...extra });
const request = (spec: object, kind = 'AgentRun'): RequestPayload => ({
  id: '00000000-0000-4000-8000-000000000001',
  kind,
  verb: 'create',
  metadata: { namespace: 'team-a', name: 'r' },
  spec,
});

/** A namespace with the built-in guardrail (every runtime), Agent coder and no SecretBinding, unless overridden. */
function context(over: Partial<DecisionContext> = {}): DecisionContext {
  return {
    namespace: 'team-a',
    baselineMode: 'enforce',
    guardrails: [
      {
        id: 'built-in',
        version: '0',
        mode: 'enforce',
        scope: 'built-in',
        spec: GuardrailSpec.parse({ allowedRuntimes: ['job', 'workflow', 'temporal', 'custom'] }),
      },
    ],
    agent: {
      id: 'Agent team-a/coder',
      version: '3',
      spec: { providerRef: { name: 'codex' }, security: { allowedSecrets: ['github-token'] } },
    },
    secretBindings: [],
    budgets: [],
    approvalPolicies: [],
    ...over,
  };
}
const guardrail = (spec: object, mode: 'enforce' | 'audit' = 'enforce') => ({
  id: 'Guardrail team-a/strict',
  version: '7',
  mode,
  scope: 'namespace' as const,
  spec: GuardrailSpec.parse({ mode, ...spec }),
});
const decide = (spec: object, ctx = context(), kind = 'AgentRun') => evaluate(request(spec, kind), { kind, spec }, ctx, now);

describe('policy decisions', () => {
  it('allows a run that breaks no rule', () => {
    expect(decide(runSpec())).toMatchObject({ verdict: 'allow', violations: [] });
  });

  it('denies a runtime type a guardrail does not allow, naming the rule, the field and the guardrail', () => {
    const decision = decide(
      runSpec({ runtime: { type: 'temporal' } }),
      context({ guardrails: [...context().guardrails, guardrail({ allowedRuntimes: ['job'] })] }),
    );
    expect(decision.verdict).toBe('deny');
    expect(decision.violations).toEqual([
      {
        ruleId: 'runtime-type-allowed',
        path: 'spec.runtime.type',
        reason: expect.stringContaining('"temporal"'),
        policy: 'Guardrail team-a/strict',
        mode: 'enforce',
      },
    ]);
  });

  it('denies an Agent whose provider is not allowed, and a run of an Agent whose provider is not', () => {
    const ctx = context({ guardrails: [guardrail({ allowedProviders: ['claude'] })] });
    expect(decide({ providerRef: { name: 'codex' } }, ctx, 'Agent').violations).toEqual([
      expect.objectContaining({ ruleId: 'provider-allowed', path: 'spec.providerRef.name' }),
    ]);
    expect(decide(runSpec(), ctx).violations).toEqual([
      expect.objectContaining({ ruleId: 'provider-allowed', path: 'spec.agentRef.name' }),
    ]);
  });

  it('allows only the default service account unless the Agent and every guardrail allow another', () => {
    const sa = (name: string) => runSpec({ runtime: { type: 'workflow', config: { serviceAccountName: name } }, workflow: { steps: [] } });
    expect(decide(sa('default')).verdict).toBe('allow');
    expect(decide(sa('deployer')).violations.map((v) => v.policy)).toEqual(['Agent team-a/coder']);
    const agent = {
      id: 'Agent team-a/coder',
      version: '3',
      spec: { providerRef: { name: 'codex' }, security: { allowedServiceAccounts: ['default', 'deployer'] } },
    };
    expect(decide(sa('deployer'), context({ agent })).verdict).toBe('allow');
    expect(
      decide(sa('deployer'), context({ agent, guardrails: [guardrail({ allowedServiceAccounts: ['default'] })] })).violations.map(
        (v) => v.policy,
      ),
    ).toEqual(['Guardrail team-a/strict']);
  });

  it('allows a secret only when the Agent allows it and a SecretBinding grants it to the Agent', () => {
    const binding = {
      id: 'SecretBinding team-a/gh',
      version: '1',
      spec: { allowedSecrets: ['github-token'], subjects: [{ kind: 'Agent', name: 'coder' }] },
    };
    expect(decide(runSpec({ secrets: ['github-token'] })).violations).toEqual([
      expect.objectContaining({
        ruleId: 'secrets-allowlist',
        path: 'spec.secrets[0]',
        reason: expect.stringContaining('no SecretBinding'),
      }),
    ]);
    expect(decide(runSpec({ secrets: ['github-token'] }), context({ secretBindings: [binding] })).verdict).toBe('allow');
    expect(decide(runSpec({ secrets: ['github-token', 'aws-root'] }), context({ secretBindings: [binding] })).violations).toEqual([
      expect.objectContaining({ path: 'spec.secrets[1]', reason: expect.stringContaining('allowedSecrets of Agent team-a/coder') }),
    ]);
  });

  it('holds a secret mounted as a volume, of the run or of a step, to the same allowlist as one it names', () => {
    const volume = (secretName: string) => ({ name: 'v', mountPath: '/s', type: 'secret', secretName });
    const spec = runSpec({
      workload: { volumes: [volume('prod-db')] },
      workflow: {
        steps: [{ name: 'a', workload: { volumes: [{ name: 'scratch', mountPath: '/t', type: 'emptyDir' }, volume('aws-root')] } }],
      },
    });
    expect(decide(spec).violations).toEqual([
      expect.objectContaining({ ruleId: 'secrets-allowlist', path: 'spec.workload.volumes[0].secretName' }),
      expect.objectContaining({ ruleId: 'secrets-allowlist', path: 'spec.workflow.steps[0].workload.volumes[1].secretName' }),
    ]);
  });

  it("holds a run's own serviceAccountName to the same allowlists as its runtime config's, once when both name it", () => {
    expect(decide(runSpec({ serviceAccountName: 'deployer' })).violations).toEqual([
      expect.objectContaining({ ruleId: 'service-account-allowed', path: 'spec.serviceAccountName' }),
    ]);
    const both = runSpec({ runtime: { type: 'job', config: { serviceAccountName: 'deployer' } }, serviceAccountName: 'deployer' });
    expect(decide(both).violations).toHaveLength(1);
  });

  it('grants a secret through service accounts only when bindings name every account the run names', () => {
    const agent = {
      id: 'Agent team-a/coder',
      version: '3',
      spec: {
        providerRef: { name: 'codex' },
        security: { allowedSecrets: ['github-token'], allowedServiceAccounts: ['builder', 'deployer'] },
      },
    };
    const toAccount = (name: string) => ({
      id: `SecretBinding team-a/${name}`,
      version: '1',
      spec: { allowedSecrets: ['github-token'], subjects: [{ kind: 'ServiceAccount', name }] },
    });
    const spec = runSpec({
      secrets: ['github-token'],
      runtime: { type: 'job', config: { serviceAccountName: 'builder' } },
      serviceAccountName: 'deployer',
    });
    expect(decide(spec, context({ agent, secretBindings: [toAccount('builder')] })).violations).toEqual([
      expect.objectContaining({ ruleId: 'secrets-allowlist', reason: expect.stringContaining('"builder" and "deployer"') }),
    ]);
    expect(decide(spec, context({ agent, secretBindings: [toAccount('builder'), toAccount('deployer')] })).violations).toEqual([]);
  });

  it('decides, without failing, a merged patch that holds something else where a list belongs', () => {
    for (const odd of [{ secrets: 'x' }, { workflow: { steps: {} } }, { workload: { volumes: 'x' } }, { workflow: { steps: [null] } }]) {
      expect(() => decide(runSpec(odd))).not.toThrow();
    }
  });

  it('checks the workload image and every step image against allowed patterns', () => {
    const ctx = context({ guardrails: [guardrail({ allowedImages: ['ghcr.io/proompteng/*'] })] });
    const spec = runSpec({
      workload: { image: 'ghcr.io/proompteng/codex:1' },
      workflow: { steps: [{ name: 'a', workload: { image: 'docker.io/evil:latest' } }] },
    });
    expect(decide(spec, ctx).violations.map((v) => v.path)).toEqual(['spec.workflow.steps[0].workload.image']);
  });

  it('lets a violation of an audit-mode guardrail through, recording it', () => {
    const decision = decide(
      runSpec({ runtime: { type: 'custom', config: { endpoint: 'http://x' } } }),
      context({ guardrails: [guardrail({ allowedRuntimes: ['job'] }, 'audit')] }),
    );
    expect(decision.verdict).toBe('allow');
    expect(decision.violations).toEqual([expect.objectContaining({ ruleId: 'runtime-type-allowed', mode: 'audit' })]);
  });

  it('decides nothing for a delete', () => {
    expect(evaluate(request({}), undefined, context(), now)).toMatchObject({ verdict: 'allow', violations: [] });
  });

  it('versions the policy by every resource it consulted', () => {
    const a = decide(runSpec()).policyVersion;
    const b = decide(runSpec(), context({ agent: { ...context().agent!, version: '4' } })).policyVersion;
    expect(a).not.toBe(b);
    expect(decide(runSpec()).policyVersion).toBe(a);
  });
});

describe('image patterns', () => {
  it.each([
    ['ghcr.io/proompteng/*', 'ghcr.io/proompteng/codex:1', true],
    ['ghcr.io/proompteng/*', 'ghcr.io/proompteng-evil/codex:1', false],
    ['docker.io/library/node:20', 'docker.io/library/node:20', true],
    ['*.example.com/*', 'registry.example.com/a', true],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (pattern, image, expected) => {
    expect(imageMatches(pattern, image)).toBe(expected);
  });
});
