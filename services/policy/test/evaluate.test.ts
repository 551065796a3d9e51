import { describe, expect, it } from 'vitest';
import type { RequestPayload } from '@jangar/contracts';
import { evaluate } from '../src/evaluate.js';

const settings = { allowedRuntimes: ['job'], allowedSecrets: ['github-token'] };
const request = (spec: object): RequestPayload => ({
  id: '00000000-0000-4000-8000-000000000001',
  kind: 'AgentRun',
  verb: 'create',
  metadata: { namespace: 'ns', name: 'r' },
  spec: { agentRef: { name: 'a' }, runtime: { type: 'job' }, ...spec },
});
const now = new Date('2026-11-25T00:00:00Z');

describe('policy evaluation', () => {
  it('allows a request that breaks no rule', () => {
    expect(evaluate(request({ secrets: ['github-token'] }), settings, 'enforce', now)).toMatchObject({ verdict: 'allow', violations: [] });
  });

  it('denies a disallowed runtime type, naming the rule and the field', () => {
    const decision = evaluate(request({ runtime: { type: 'temporal' } }), settings, 'enforce', now);
    expect(decision.verdict).toBe('deny');
    expect(decision.violations).toEqual([
      { ruleId: 'runtime-type-allowed', path: 'spec.runtime.type', reason: expect.stringContaining('temporal') },
    ]);
  });

  it('denies each secret that is not allowlisted', () => {
    const decision = evaluate(request({ secrets: ['github-token', 'aws-root', 'prod-db'] }), settings, 'enforce', now);
    expect(decision.violations.map((v) => v.path)).toEqual(['spec.secrets[1]', 'spec.secrets[2]']);
  });

  it('lets a violating request through in audit mode, recording the violations', () => {
    const decision = evaluate(request({ runtime: { type: 'custom' } }), settings, 'audit', now);
    expect(decision).toMatchObject({ verdict: 'allow', mode: 'audit' });
    expect(decision.violations).toHaveLength(1);
  });

  it('versions the policy by its settings', () => {
    const a = evaluate(request({}), settings, 'enforce', now).policyVersion;
    const b = evaluate(request({}), { ...settings, allowedRuntimes: ['job', 'custom'] }, 'enforce', now).policyVersion;
    expect(a).not.toBe(b);
  });
});
