import { TERMINAL_PHASES, type PolicyMode, type RequestPayload, type Violation } from '@jangar/contracts';
import type { DecisionContext } from './context.js';
import type { Limits, Refusal } from './slots/store.js';

type Scope = keyof Limits;

/** A limit and the guardrail that set it (its id and mode decide whether exceeding it denies). */
export interface OwnedLimit {
  limit: number;
  policy: string;
  mode: PolicyMode;
}

/** True for a create of a run: what takes a concurrency slot. */
export function takesSlot(request: RequestPayload): boolean {
  return request.verb === 'create' && (request.kind === 'AgentRun' || request.kind === 'OrchestrationRun');
}

/** True once a run has ended, and its slot is free. */
export function isTerminal(phase: string | undefined): boolean {
  return (TERMINAL_PHASES as readonly (string | undefined)[]).includes(phase);
}

/**
 * The concurrency limits for a namespace: the most specific guardrail that sets each one wins
 * (built-in < cluster default < the namespace's own; among the namespace's, the lowest). The
 * cluster-wide limit comes only from the built-in guardrail and the cluster default.
 */
export function limitsFor(ctx: DecisionContext): Partial<Record<Scope, OwnedLimit>> {
  const out: Partial<Record<Scope, OwnedLimit & { fromNamespace: boolean }>> = {};
  for (const g of ctx.guardrails) {
    const fromNamespace = g.scope === 'namespace';
    for (const scope of ['namespace', 'agent', 'cluster'] as const) {
      const limit = g.spec.concurrency?.[scope];
      if (limit === undefined || (scope === 'cluster' && fromNamespace)) continue;
      const current = out[scope];
      // Guardrails come least specific first; two of the namespace's own: the lower limit holds.
      if (current?.fromNamespace && fromNamespace && current.limit <= limit) continue;
      out[scope] = { limit, policy: g.id, mode: g.mode, fromNamespace };
    }
  }
  const strip = (o: (OwnedLimit & { fromNamespace: boolean }) | undefined) =>
    o ? { limit: o.limit, policy: o.policy, mode: o.mode } : undefined;
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, strip(v)])) as Partial<Record<Scope, OwnedLimit>>;
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
