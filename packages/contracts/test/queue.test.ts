import { describe, expect, it } from 'vitest';
import { GuardrailSpec, refusedRunState } from '../src/index.js';

const violation = (ruleId: string, reason: string, mode?: 'enforce' | 'audit') => ({ ruleId, path: 'metadata.namespace', reason, mode });

describe('refusedRunState', () => {
  it('blocks a run a concurrency, rate or queue limit refuses, leaving it Pending', () => {
    expect(refusedRunState('concurrency_limit', [violation('concurrency-limit', '5 of 5 runs are active')])).toEqual({
      phase: 'Pending',
      conditions: [{ type: 'Blocked', status: 'True', reason: 'ConcurrencyLimit', message: '5 of 5 runs are active' }],
    });
    expect(refusedRunState('rate_limited', [violation('rate-limit', '3 of 3 runs started')])?.conditions[0]?.reason).toBe('RateLimit');
    expect(refusedRunState('queue_full', [violation('concurrency-limit', 'busy'), violation('queue-limit', 'queue full')])).toEqual({
      phase: 'Pending',
      conditions: [{ type: 'Blocked', status: 'True', reason: 'QueueLimit', message: 'queue full' }],
    });
  });

  it('fails a run whose spec breaks a rule with InvalidSpec, naming the first rule as the reason and every enforced one in the message', () => {
    const state = refusedRunState('policy_denied', [
      violation('image-allowed', 'image "evil" matches none', 'audit'),
      violation('secrets-allowlist', 'secret "a" is not allowed'),
      violation('service-account-allowed', 'service account "root" is not allowed'),
    ]);
    expect(state).toEqual({
      phase: 'Failed',
      conditions: [
        {
          type: 'InvalidSpec',
          status: 'True',
          reason: 'SecretNotAllowed',
          message: 'secret "a" is not allowed; service account "root" is not allowed',
        },
      ],
    });
  });

  it('fails a run whose queue wait ran out, still Blocked by the limit that held it', () => {
    expect(refusedRunState('queue_expired', [violation('rate-limit', 'waited in the queue')])).toMatchObject({
      phase: 'Failed',
      conditions: [{ type: 'Blocked', reason: 'RateLimit', message: 'waited in the queue' }],
    });
  });

  it('cancels a run deleted before it started, saying whether it waited in its queue or for approval', () => {
    expect(refusedRunState('run_cancelled')).toEqual({
      phase: 'Cancelled',
      conditions: [{ type: 'Blocked', status: 'False', reason: 'Cancelled', message: 'deleted while it waited in its queue' }],
    });
    expect(refusedRunState('run_cancelled', [violation('approval-required', 'runs as "deployer"')])).toEqual({
      phase: 'Cancelled',
      conditions: [{ type: 'Blocked', status: 'False', reason: 'Cancelled', message: 'deleted while it waited for approval' }],
    });
  });

  it('says nothing about refusals that are not about admitting a run', () => {
    expect(refusedRunState('conflict')).toBeUndefined();
    expect(refusedRunState('policy_denied', [violation('approval-required', 'needs approval')])).toBeUndefined();
  });
});

describe('Guardrail queue', () => {
  it("defaults to the reference's sizes: 200 waiting per namespace for at most an hour", () => {
    expect(GuardrailSpec.parse({ queue: {} }).queue).toEqual({ namespace: 200, maxWaitSeconds: 3600 });
  });

  it('refuses a negative size and an unknown field', () => {
    expect(GuardrailSpec.safeParse({ queue: { namespace: -1 } }).success).toBe(false);
    expect(GuardrailSpec.safeParse({ queue: { depth: 3 } }).success).toBe(false);
  });
});
