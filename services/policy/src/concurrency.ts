import { DEFAULT_QUEUE, type GuardrailSpec, type PolicyMode, type RequestPayload, type Violation } from '@jangar/contracts';
import type { DecisionContext } from './context.js';
import type { Limits, RateLimits, RateRefusal, Refusal } from './slots/store.js';
import type { QueueFull, QueueSizes } from './queue/store.js';

type Scope = keyof Limits;
type RateScope = keyof RateLimits;

/** A limit and the guardrail that set it (its id and mode decide whether exceeding it denies). */
export interface OwnedLimit {
  limit: number;
  /** For a rate limit: the window it counts starts over. */
  periodMs?: number;
  policy: string;
  mode: PolicyMode;
}

/** True for a create of a run: what takes a concurrency slot. */
export function takesSlot(request: RequestPayload): boolean {
  return request.verb === 'create' && (request.kind === 'AgentRun' || request.kind === 'OrchestrationRun');
}

/**
 * The limits for a namespace, one per scope: the most specific guardrail that sets each one wins
 * (built-in < cluster default < the namespace's own; among the namespace's, an enforced one over
 * an audited one, then the lowest). A cluster-wide limit comes only from the built-in guardrail
 * and the cluster default. An audited limit lower than an enforced one would otherwise stand in
 * for it, and runs past the enforced one would be let through with only an audit violation.
 */
function mostSpecific<S extends string>(
  ctx: DecisionContext,
  scopes: readonly S[],
  pick: (spec: GuardrailSpec, scope: S) => { limit: number; periodMs?: number } | undefined,
): Partial<Record<S, OwnedLimit>> {
  const out: Partial<Record<S, OwnedLimit & { fromNamespace: boolean }>> = {};
  for (const g of ctx.guardrails) {
    const fromNamespace = g.scope === 'namespace';
    for (const scope of scopes) {
      const picked = pick(g.spec, scope);
      if (picked === undefined || (scope === 'cluster' && fromNamespace)) continue;
      const current = out[scope];
      // Guardrails come least specific first; two of the namespace's own: the enforced, then the lower, holds.
      if (current?.fromNamespace && fromNamespace && !holdsOver(picked.limit, g.mode, current)) continue;
      out[scope] = { ...picked, policy: g.id, mode: g.mode, fromNamespace };
    }
  }
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => {
      const { fromNamespace: _, ...owned } = v as OwnedLimit & { fromNamespace: boolean };
      return [k, owned];
    }),
  ) as Partial<Record<S, OwnedLimit>>;
}

/** Whether a limit in `mode` holds over `current`, both set by the namespace's own guardrails. */
function holdsOver(limit: number, mode: PolicyMode, current: OwnedLimit): boolean {
  if (mode !== current.mode) return mode === 'enforce';
  return limit < current.limit;
}

/** The concurrency limits for a namespace: active runs per namespace, per Agent, in the cluster. */
export function limitsFor(ctx: DecisionContext): Partial<Record<Scope, OwnedLimit>> {
  return mostSpecific(ctx, ['namespace', 'agent', 'cluster'] as const, (spec, scope) => {
    const limit = spec.concurrency?.[scope];
    return limit === undefined ? undefined : { limit };
  });
}

/** The rate limits for a namespace: runs started per period in the namespace and in the cluster. */
export function rateLimitsFor(ctx: DecisionContext): Partial<Record<RateScope, OwnedLimit & { periodMs: number }>> {
  return mostSpecific(ctx, ['namespace', 'cluster'] as const, (spec, scope) => {
    const limit = spec.rateLimits?.[scope];
    return limit === undefined ? undefined : { limit, periodMs: (spec.rateLimits?.periodSeconds ?? 60) * 1000 };
  }) as Partial<Record<RateScope, OwnedLimit & { periodMs: number }>>;
}

/** The plain rate limits, for the slot store. */
export function plainRates(owned: ReturnType<typeof rateLimitsFor>): RateLimits {
  const plain = (o: (typeof owned)[RateScope]) => (o ? { limit: o.limit, periodMs: o.periodMs } : undefined);
  return { namespace: plain(owned.namespace), cluster: plain(owned.cluster) };
}

/** A run refused by a rate limit, as a violation naming the figures, the period and the guardrail. */
export function rateViolations(refusals: RateRefusal[], owned: ReturnType<typeof rateLimitsFor>, ctx: DecisionContext): Violation[] {
  return refusals.map((r) => {
    const owner = owned[r.scope];
    const where = r.scope === 'namespace' ? `namespace "${ctx.namespace}"` : 'the cluster';
    return {
      ruleId: 'rate-limit',
      path: 'metadata.namespace',
      reason: `${r.started} of ${r.limit} runs started in ${where} in the last ${r.periodMs / 1000}s; retry later`,
      ...(owner ? { policy: owner.policy, mode: owner.mode } : {}),
    };
  });
}

/** The plain limits, for the slot store. */
export function plainLimits(owned: Partial<Record<Scope, OwnedLimit>>): Limits {
  return { namespace: owned.namespace?.limit, agent: owned.agent?.limit, cluster: owned.cluster?.limit };
}

/** A refused slot as violations naming the scope, the figures and the guardrail that set the limit. */
export function refusalViolations(
  refusals: Refusal[],
  owned: Partial<Record<Scope, OwnedLimit>>,
  ctx: DecisionContext,
  agent: string | undefined,
): Violation[] {
  return refusals.map((r) => {
    const owner = owned[r.scope];
    const where = r.scope === 'namespace' ? `namespace "${ctx.namespace}"` : r.scope === 'agent' ? `Agent "${agent}"` : 'the cluster';
    return {
      ruleId: 'concurrency-limit',
      path: r.scope === 'agent' ? 'spec.agentRef.name' : 'metadata.namespace',
      reason: `${r.active} of ${r.limit} runs are active in ${where}; retry when one ends`,
      ...(owner ? { policy: owner.policy, mode: owner.mode } : {}),
    };
  });
}

/**
 * The queue a namespace's runs wait in when a limit holds them back, or undefined when they are
 * refused instead: a size of 0 (the built-in guardrail's) queues nothing. Sizes come from the most
 * specific guardrail, as limits do; the wait from the guardrail that set the namespace's size.
 */
export function queueFor(ctx: DecisionContext): QueueSizes | undefined {
  const sizes = mostSpecific(ctx, ['namespace', 'cluster'] as const, (spec, scope) => {
    const limit = spec.queue?.[scope];
    return limit === undefined ? undefined : { limit };
  });
  const namespace = sizes.namespace;
  if (!namespace || namespace.limit === 0) return undefined;
  const owner = ctx.guardrails.find((g) => g.id === namespace.policy);
  return {
    namespace: namespace.limit,
    cluster: sizes.cluster?.limit,
    maxWaitSeconds: owner?.spec.queue?.maxWaitSeconds ?? DEFAULT_QUEUE.maxWaitSeconds,
  };
}

/** A run turned away by a full queue, as a violation naming the figures. */
export function queueFullViolation(full: QueueFull, ctx: DecisionContext): Violation {
  const where = full.scope === 'namespace' ? `namespace "${ctx.namespace}"` : 'the cluster';
  return {
    ruleId: 'queue-limit',
    path: 'metadata.namespace',
    reason: `${full.waiting} of ${full.limit} queued runs already wait in ${where}; retry later`,
  };
}

/**
 * Where a run that its enforced limits or budgets refuse goes: out with `budget_exceeded` when a
 * budget is spent (a "no" for the whole period), else into its namespace's queue when there is one
 * (a limit is only a "not now"), else out with the limit's code. Only enforced violations count: an
 * audited budget that is spent must not stop an enforced limit from queuing the run.
 */
export function refusalRoute(
  enforced: readonly Violation[],
  hasQueue: boolean,
): 'queue' | 'budget_exceeded' | 'concurrency_limit' | 'rate_limited' {
  if (enforced.some((v) => v.ruleId === 'budget-exceeded')) return 'budget_exceeded';
  if (hasQueue) return 'queue';
  return enforced.some((v) => v.ruleId === 'concurrency-limit') ? 'concurrency_limit' : 'rate_limited';
}

/**
 * The detail of a run queued behind others: how many wait ahead, and why the first of them waits —
 * its own cause, not the "waits ahead" text it may have got the same way, which would nest once
 * more with every run that joins a queue that never empties.
 */
export function waitingAheadDetail(count: number, namespace: string, firstDetail: string): string {
  const cause = firstDetail.replace(/^(?:\d+ runs? waits? ahead in namespace "[^"]*": )+/, '');
  return `${count} ${count === 1 ? 'run waits' : 'runs wait'} ahead in namespace "${namespace}": ${cause}`;
}
