import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, testStack } from '../support/stack.js';

let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;

const run = (namespace: string, deliveryId: string, extra: Record<string, unknown> = {}) => ({
  deliveryId,
  metadata: { namespace },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'guarded' } }, ...extra },
});

/** Creates Agent coder in `namespace`, allowed to use github-token and run as default or deployer. */
async function agentIn(namespace: string) {
  const res = await dev.post('/v1/agents', {
    deliveryId: `agent-${namespace}`,
    metadata: { namespace, name: 'coder' },
    spec: {
      providerRef: { name: 'codex' },
      security: { allowedSecrets: ['github-token'], allowedServiceAccounts: ['default', 'deployer'] },
    },
  });
  expect(res.status, res.text).toBe(201);
}

/** Waits until the policy service decides `body` as `verdict`: it learns of policy changes through its informers. */
async function policyDecides(body: Record<string, unknown>, verdict: 'allow' | 'deny') {
  return eventually(`the policy to ${verdict}`, async () => {
    const res = await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', ...body });
    return res.json?.verdict === verdict ? res.json : undefined;
  });
}

beforeAll(async () => {
  stack = await testStack();
  dev = api(stack.gatewayUrl, stack.devToken);
});

afterAll(async () => {
  await stack?.close();
});

describe('policy', () => {
  it('denies a run whose secret no SecretBinding grants with 403 policy_denied, naming rule and field, and creates nothing', async () => {
    await agentIn('pol-secrets');
    const res = await dev.post('/v1/agent-runs', {
      ...run('pol-secrets', 'secret-1', { secrets: ['github-token'] }),
      metadata: { namespace: 'pol-secrets', name: 'denied' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.json).toMatchObject({
      code: 'policy_denied',
      violations: [{ ruleId: 'secrets-allowlist', path: 'spec.secrets[0]', reason: expect.stringContaining('no SecretBinding') }],
      // Where the run would stand: Failed, its spec invalid, as the reference's controller says it.
      phase: 'Failed',
      conditions: [{ type: 'InvalidSpec', status: 'True', reason: 'SecretNotAllowed', message: expect.stringContaining('github-token') }],
    });
    expect((await dev.get('/v1/agent-runs/pol-secrets/denied')).status).toBe(404);

    const other = await dev.post('/v1/agent-runs', run('pol-secrets', 'secret-2', { secrets: ['aws-root'] }));
    expect(other.json.violations[0].reason).toContain('allowedSecrets of Agent pol-secrets/coder');
  });

  it('allows the secret once a SecretBinding grants it to the Agent, without a restart', async () => {
    const binding = await dev.post('/v1/secret-bindings', {
      deliveryId: 'binding-1',
      metadata: { namespace: 'pol-secrets', name: 'github' },
      spec: { allowedSecrets: ['github-token'], subjects: [{ kind: 'Agent', name: 'coder' }] },
    });
    expect(binding.status, binding.text).toBe(201);
    await policyDecides(
      { metadata: { namespace: 'pol-secrets' }, spec: run('pol-secrets', 'x', { secrets: ['github-token'] }).spec },
      'allow',
    );
    expect((await dev.post('/v1/agent-runs', run('pol-secrets', 'secret-3', { secrets: ['github-token'] }))).status).toBe(201);
  });

  it('refuses a service account the Agent does not allow', async () => {
    await agentIn('pol-sa');
    const spec = { runtime: { type: 'workflow', config: { serviceAccountName: 'cluster-admin' } }, workflow: { steps: [{ name: 'one' }] } };
    const res = await dev.post('/v1/agent-runs', run('pol-sa', 'sa-1', spec));
    expect(res.status).toBe(403);
    expect(res.json.violations).toEqual([
      expect.objectContaining({ ruleId: 'service-account-allowed', path: 'spec.runtime.config.serviceAccountName' }),
    ]);
    expect(res.json.conditions).toEqual([expect.objectContaining({ type: 'InvalidSpec', reason: 'ServiceAccountNotAllowed' })]);
  });

  it("enforces a namespace Guardrail's runtime allowlist as soon as it exists, naming the guardrail", async () => {
    await agentIn('pol-runtime');
    const wf = { runtime: { type: 'workflow' }, workflow: { steps: [{ name: 'one' }] } };
    expect((await dev.post('/v1/agent-runs', run('pol-runtime', 'rt-1', wf))).status).toBe(201);
    const g = await dev.post('/v1/guardrails', {
      deliveryId: 'g-rt',
      metadata: { namespace: 'pol-runtime', name: 'strict' },
      spec: { allowedRuntimes: ['job'] },
    });
    expect(g.status, g.text).toBe(201);
    await policyDecides({ metadata: { namespace: 'pol-runtime' }, spec: run('pol-runtime', 'x', wf).spec }, 'deny');
    const res = await dev.post('/v1/agent-runs', run('pol-runtime', 'rt-2', wf));
    expect(res.status).toBe(403);
    expect(res.json.violations).toEqual([
      expect.objectContaining({
        ruleId: 'runtime-type-allowed',
        path: 'spec.runtime.type',
        policy: 'Guardrail pol-runtime/strict',
        mode: 'enforce',
      }),
    ]);
    expect((await dev.post('/v1/agent-runs', run('pol-runtime', 'rt-3'))).status).toBe(201);
  });

  it('decides a PATCH on the spec it would produce', async () => {
    const created = await dev.post('/v1/agent-runs', {
      ...run('pol-runtime', 'patch-1'),
      metadata: { namespace: 'pol-runtime', name: 'patched' },
    });
    expect(created.status).toBe(201);
    const res = await dev.patch('/v1/agent-runs/pol-runtime/patched', { spec: { secrets: ['aws-root'] } }, 'patch-2');
    expect(res.status).toBe(403);
    expect(res.json.violations[0]).toMatchObject({ ruleId: 'secrets-allowlist', path: 'spec.secrets[0]' });
    expect((await dev.get('/v1/agent-runs/pol-runtime/patched')).json.spec.secrets).toBeUndefined();
  });

  it('lets a violation of an audit-mode Guardrail through and records the would-be denial', async () => {
    await agentIn('pol-audit');
    const g = await dev.post('/v1/guardrails', {
      deliveryId: 'g-audit',
      metadata: { namespace: 'pol-audit', name: 'images' },
      spec: { mode: 'audit', allowedImages: ['ghcr.io/proompteng/*'] },
    });
    expect(g.status).toBe(201);
    const spec = { workload: { image: 'docker.io/someone/agent:latest' } };
    const decision = await eventually('the audit guardrail to apply', async () => {
      const d = (
        await dev.post('/v1/policy/evaluate', {
          kind: 'AgentRun',
          metadata: { namespace: 'pol-audit' },
          spec: run('pol-audit', 'x', spec).spec,
        })
      ).json;
      return d?.violations?.length ? d : undefined;
    });
    expect(decision).toMatchObject({
      verdict: 'allow',
      violations: [{ ruleId: 'image-allowed', mode: 'audit', policy: 'Guardrail pol-audit/images' }],
    });

    const res = await dev.post('/v1/agent-runs', run('pol-audit', 'audit-1', spec));
    expect(res.status, res.text).toBe(201);
    const recorded = await eventually('the decision to be recorded', async () => {
      const rows = await stack.db.query("select verdict, violations from audit.policy_decisions where delivery_id = 'audit-1'");
      return rows.rows[0];
    });
    expect(recorded.verdict).toBe('allow');
    expect(recorded.violations).toEqual([expect.objectContaining({ ruleId: 'image-allowed', mode: 'audit', path: 'spec.workload.image' })]);
  });

  it('dry-runs a request with POST /v1/policy/evaluate: a decision, and nothing created', async () => {
    const res = await dev.post('/v1/policy/evaluate', {
      kind: 'AgentRun',
      metadata: { namespace: 'pol-dry', name: 'dry' },
      spec: run('pol-dry', 'x').spec,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ verdict: 'allow', policyVersion: expect.any(String), request: { kind: 'AgentRun', verb: 'create' } });
    expect((await dev.get('/v1/agent-runs/pol-dry/dry')).status).toBe(404);
    const invalid = await dev.post('/v1/policy/evaluate', { kind: 'AgentRun', spec: { agentRef: {} } });
    expect(invalid.status).toBe(400);
    expect((await dev.post('/v1/policy/evaluate', { kind: 'Nope', spec: {} })).json.errors[0].path).toBe('kind');
  });

  it('applies the cluster default Guardrail to every namespace', async () => {
    const g = await dev.post('/v1/guardrails', {
      deliveryId: 'g-default',
      metadata: { namespace: 'jangar-system', name: 'default' },
      spec: { allowedProviders: ['claude'] },
    });
    expect(g.status, g.text).toBe(201);
    const agent = {
      deliveryId: 'agent-default-1',
      metadata: { namespace: 'pol-anywhere', name: 'coder' },
      spec: { providerRef: { name: 'codex' } },
    };
    await eventually('the cluster default to apply', async () => {
      const d = (await dev.post('/v1/policy/evaluate', { kind: 'Agent', ...agent })).json;
      return d?.verdict === 'deny' ? d : undefined;
    });
    const res = await dev.post('/v1/agents', agent);
    expect(res.status).toBe(403);
    expect(res.json.violations).toEqual([
      expect.objectContaining({ ruleId: 'provider-allowed', policy: 'Guardrail jangar-system/default' }),
    ]);
  });
});
