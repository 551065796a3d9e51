import { describe, expect, it } from 'vitest';
import { GuardrailSpec } from '@jangar/contracts';
import type { Violation } from '@jangar/contracts';
import {
  limitsFor,
  queueFor,
  rateLimitsFor,
  rateViolations,
  refusalRoute,
  refusalViolations,
  waitingAheadDetail,
} from '../src/concurrency.js';
import type { DecisionContext } from '../src/context.js';

type Scope = 'built-in' | 'cluster' | 'namespace';
const g = (id: string, scope: Scope, concurrency: object, mode: 'enforce' | 'audit' = 'enforce') => ({
  id,
  version: '1',
  mode,
  scope,
  spec: GuardrailSpec.parse({ mode, concurrency }),
});
const ctx = (...guardrails: ReturnType<typeof g>[]): DecisionContext => ({
  namespace: 'team-a',
  baselineMode: 'enforce',
  guardrails,
  agent: undefined,
  secretBindings: [],
  budgets: [],
  approvalPolicies: [],
});
const builtIn = g('built-in', 'built-in', { namespace: 10, agent: 5, cluster: 100 });

describe('concurrency limits', () => {
  it('are the built-in defaults when no guardrail sets any', () => {
    expect(limitsFor(ctx(builtIn))).toEqual({
      namespace: { limit: 10, policy: 'built-in', mode: 'enforce' },
      agent: { limit: 5, policy: 'built-in', mode: 'enforce' },
      cluster: { limit: 100, policy: 'built-in', mode: 'enforce' },
    });
  });

  it('let the cluster default raise or lower the built-in, and the namespace guardrail override both', () => {
    const limits = limitsFor(
      ctx(
        builtIn,
        g('Guardrail jangar-system/default', 'cluster', { namespace: 50, cluster: 500 }),
        g('Guardrail team-a/small', 'namespace', { namespace: 3 }),
      ),
    );
    expect(limits.namespace).toMatchObject({ limit: 3, policy: 'Guardrail team-a/small' });
    expect(limits.agent).toMatchObject({ limit: 5, policy: 'built-in' });
    expect(limits.cluster).toMatchObject({ limit: 500, policy: 'Guardrail jangar-system/default' });
  });

  it('take the lowest of several namespace guardrails, and never a cluster limit from a namespace', () => {
    const limits = limitsFor(
      ctx(builtIn, g('Guardrail team-a/a', 'namespace', { agent: 4, cluster: 1 }), g('Guardrail team-a/b', 'namespace', { agent: 2 })),
    );
    expect(limits.agent).toMatchObject({ limit: 2, policy: 'Guardrail team-a/b' });
    expect(limits.cluster).toMatchObject({ limit: 100, policy: 'built-in' });
  });

  it('take an enforced namespace limit over a lower audited one, in either order, so the audit cannot lift it', () => {
    const enforced = g('Guardrail team-a/enforced', 'namespace', { namespace: 10 });
    const audited = g('Guardrail team-a/trial', 'namespace', { namespace: 5 }, 'audit');
    for (const order of [ctx(builtIn, enforced, audited), ctx(builtIn, audited, enforced)]) {
      expect(limitsFor(order).namespace).toEqual({ limit: 10, policy: 'Guardrail team-a/enforced', mode: 'enforce' });
    }
  });

  it('explain a refusal with the figures, the scope and the guardrail that set the limit', () => {
    const c = ctx(builtIn, g('Guardrail team-a/small', 'namespace', { namespace: 3 }, 'audit'));
    expect(refusalViolations([{ scope: 'namespace', active: 3, limit: 3 }], limitsFor(c), c, 'coder')).toEqual([
      {
        ruleId: 'concurrency-limit',
        path: 'metadata.namespace',
        reason: '3 of 3 runs are active in namespace "team-a"; retry when one ends',
        policy: 'Guardrail team-a/small',
        mode: 'audit',
      },
    ]);
  });
});

describe('rate limits', () => {
  const r = (id: string, scope: Scope, rateLimits: object) => ({ ...g(id, scope, {}), spec: GuardrailSpec.parse({ rateLimits }) });

  it('are the built-in defaults per minute, overridden by the cluster default and then the namespace, never a cluster rate from a namespace', () => {
    const defaults = r('built-in', 'built-in', { namespace: 120, cluster: 600 });
    expect(rateLimitsFor(ctx(defaults))).toEqual({
      namespace: { limit: 120, periodMs: 60_000, policy: 'built-in', mode: 'enforce' },
      cluster: { limit: 600, periodMs: 60_000, policy: 'built-in', mode: 'enforce' },
    });
    const cluster = r('Guardrail jangar-system/default', 'cluster', { cluster: 50, periodSeconds: 10 });
    const own = r('Guardrail team-a/slow', 'namespace', { namespace: 3, cluster: 1, periodSeconds: 3600 });
    expect(rateLimitsFor(ctx(defaults, cluster, own))).toEqual({
      namespace: { limit: 3, periodMs: 3_600_000, policy: 'Guardrail team-a/slow', mode: 'enforce' },
      cluster: { limit: 50, periodMs: 10_000, policy: 'Guardrail jangar-system/default', mode: 'enforce' },
    });
  });

  it('explain a refusal with the runs started, the window and the guardrail', () => {
    const own = r('Guardrail team-a/slow', 'namespace', { namespace: 3, periodSeconds: 3600 });
    const owned = rateLimitsFor(ctx(own));
    expect(rateViolations([{ scope: 'namespace', started: 3, limit: 3, periodMs: 3_600_000 }], owned, ctx(own))).toEqual([
      {
        ruleId: 'rate-limit',
        path: 'metadata.namespace',
        reason: '3 of 3 runs started in namespace "team-a" in the last 3600s; retry later',
        policy: 'Guardrail team-a/slow',
        mode: 'enforce',
      },
    ]);
  });
});

describe('queues', () => {
  const q = (id: string, scope: Scope, queue: object) => ({ ...g(id, scope, {}), spec: GuardrailSpec.parse({ queue }) });
  const builtInQueue = q('built-in', 'built-in', { namespace: 0, cluster: 1000 });

  it('queue nothing until a Guardrail asks for a queue: the built-in one has none per namespace', () => {
    expect(queueFor(ctx(builtInQueue))).toBeUndefined();
    expect(queueFor(ctx(builtIn))).toBeUndefined();
  });

  it("take the namespace's size and wait from its guardrail and the cluster's bound from the built-in or cluster default", () => {
    const own = q('Guardrail team-a/queue', 'namespace', { namespace: 3, cluster: 1, maxWaitSeconds: 60 });
    expect(queueFor(ctx(builtInQueue, own))).toEqual({ namespace: 3, cluster: 1000, maxWaitSeconds: 60 });
    const cluster = q('Guardrail jangar-system/default', 'cluster', { cluster: 50 });
    expect(queueFor(ctx(builtInQueue, cluster, own))).toEqual({ namespace: 3, cluster: 50, maxWaitSeconds: 60 });
    // The cluster default may turn queueing on for every namespace; a namespace may turn it off again.
    expect(queueFor(ctx(builtInQueue, cluster))).toEqual({ namespace: 200, cluster: 50, maxWaitSeconds: 3600 });
    expect(queueFor(ctx(builtInQueue, cluster, q('Guardrail team-a/off', 'namespace', { namespace: 0 })))).toBeUndefined();
  });
});

describe('where a refused run goes', () => {
  const violation = (ruleId: string): Violation => ({
    ruleId,
    path: 'spec',
    reason: ruleId,
    policy: 'Guardrail team-a/limits',
    mode: 'enforce',
  });

  it('queues a run only limits refused, when its namespace has a queue', () => {
    expect(refusalRoute([violation('concurrency-limit')], true)).toBe('queue');
    expect(refusalRoute([violation('rate-limit')], true)).toBe('queue');
  });

  it('refuses a run with a spent budget for the whole period, queue or not', () => {
    expect(refusalRoute([violation('concurrency-limit'), violation('budget-exceeded')], true)).toBe('budget_exceeded');
  });

  it('names the limit that refused a run with no queue', () => {
    expect(refusalRoute([violation('rate-limit'), violation('concurrency-limit')], false)).toBe('concurrency_limit');
    expect(refusalRoute([violation('rate-limit')], false)).toBe('rate_limited');
  });
});

describe('the detail of a run queued behind others', () => {
  it('names how many wait ahead and why the first waits, once, however the first got its own detail', () => {
    const first = waitingAheadDetail(1, 'team-a', '2 of 2 runs are active in namespace "team-a"');
    expect(first).toBe('1 run waits ahead in namespace "team-a": 2 of 2 runs are active in namespace "team-a"');
    const second = waitingAheadDetail(2, 'team-a', waitingAheadDetail(3, 'team-a', first));
    expect(second).toBe('2 runs wait ahead in namespace "team-a": 2 of 2 runs are active in namespace "team-a"');
  });
});
