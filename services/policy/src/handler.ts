import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import {
  decisionDedupId,
  dedupIds,
  kindByName,
  RequestMessage as RequestMessageSchema,
  SUBJECTS,
  type DecisionPayload,
  type DomainErrorPayload,
  type RequestMessage,
  type RequestPayload,
} from '@jangar/contracts';
import { publish, type Logger } from '@jangar/service-kit';
import type { ClusterView } from './cluster-view.js';
import { runBudgets, runBudgetViolation, spentBudgets } from './budgets.js';
import { limitsFor, plainLimits, plainRates, rateLimitsFor, rateViolations, refusalViolations, takesSlot } from './concurrency.js';
import { contextFor, type DecisionContext, type PolicySettings } from './context.js';
import { evaluate } from './evaluate.js';
import type { SlotStore } from './slots/store.js';
import { APPROVAL_RULE, approvalGates, type ApprovalGates } from './approvals/gates.js';
import { toApproval, type ApprovalRow, type ApprovalStore } from './approvals/store.js';
import { agentNameOf, subjectOf, type ReadCurrent } from './subject.js';

export interface PolicyDeps {
  js: JetStreamClient;
  view: ClusterView;
  readCurrent: ReadCurrent;
  slots: SlotStore;
  approvals: ApprovalStore;
  /** Records a Budget's new usage on its status (best effort: the charges in Postgres are the truth). */
  recordBudgetUsage(budget: string, runs: number): Promise<void>;
  settings: PolicySettings;
  logger: Logger;
}

type DecideDeps = Pick<PolicyDeps, 'view' | 'readCurrent' | 'settings'>;

/**
 * Decides a request against the policy as the cluster holds it now, without taking anything. Also
 * the dry run. A request no rule denies but an approval gate holds is `pending`.
 */
export async function decide(
  request: RequestPayload,
  deps: DecideDeps,
): Promise<{ decision: DecisionPayload; ctx: DecisionContext; agent: string | undefined; held: ApprovalGates }> {
  const subject = await subjectOf(request, deps.readCurrent);
  const agent = agentNameOf(subject);
  const ctx = contextFor(deps.view, deps.settings, request.metadata.namespace, agent);
  const evaluated = evaluate(request, subject, ctx, new Date());
  // A run may not start on a budget the runtime reports spent (tokens, dollars, cpu, memory, gpu).
  const spent = takesSlot(request) ? spentBudgets(ctx) : [];
  const held = approvalGates(request, subject, ctx);
  const violations = [...evaluated.violations, ...spent, ...held.gates];
  const enforced = violations.filter((v) => (v.mode ?? evaluated.mode) === 'enforce');
  const verdict = enforced.some((v) => v.ruleId !== APPROVAL_RULE) ? 'deny' : enforced.length > 0 ? 'pending' : 'allow';
  return { decision: { ...evaluated, violations, verdict }, ctx, agent, held };
}

/** The problem code of a denial: `budget_exceeded` when only budgets deny it, else `policy_denied`. */
function denialCode(enforced: DecisionPayload['violations']): 'budget_exceeded' | 'policy_denied' {
  return enforced.length > 0 && enforced.every((v) => v.ruleId === 'budget-exceeded') ? 'budget_exceeded' : 'policy_denied';
}

/**
 * Decides a request and, when the rules allow a run, takes its concurrency slot: a run over a
 * limit its guardrail enforces is refused with `concurrency_limit`, a retryable answer.
 */
async function admit(
  message: RequestMessage,
  deps: PolicyDeps,
  settled: ApprovalRow | undefined,
): Promise<{ decision: DecisionPayload; error?: DomainErrorPayload }> {
  const decided = await decide(message.payload, deps);
  const { ctx, agent } = decided;
  // A settling decision carries its approval, so its dedup ID is not the held decision's.
  let decision = settled ? { ...decided.decision, approval: summaryOf(settled) } : decided.decision;
  if (decision.verdict === 'deny') {
    const enforced = decision.violations.filter((v) => (v.mode ?? decision.mode) === 'enforce' && v.ruleId !== APPROVAL_RULE);
    return {
      decision,
      error: {
        code: denialCode(enforced),
        detail: `denied by policy ${decision.policyVersion}: ${enforced.map((v) => v.reason).join('; ')}`,
        violations: decision.violations,
      },
    };
  }
  if (decision.verdict === 'pending' || settled) {
    const row = settled ?? (await deps.approvals.hold(message, decided.held, randomUUID()));
    decision = { ...decision, approval: summaryOf(row) };
    if (row.state === 'Pending') return { decision: { ...decision, verdict: 'pending' } };
    if (row.state !== 'Approved') return { decision: { ...decision, verdict: 'deny' }, error: approvalRefusal(row, decision) };
    decision = { ...decision, verdict: 'allow' };
  }
  if (!takesSlot(message.payload)) return { decision };
  const owned = limitsFor(ctx);
  const rates = rateLimitsFor(ctx);
  const request = message.payload;
  const admission = await deps.slots.admit(
    { requestKey: message.requestKey, kind: request.kind, namespace: request.metadata.namespace, name: request.metadata.name ?? '', agent },
    plainLimits(owned),
    runBudgets(ctx),
    plainRates(rates),
  );
  for (const c of admission.charged) {
    await deps
      .recordBudgetUsage(c.key, c.used)
      .catch((err: unknown) => deps.logger.warn({ err, budget: c.key }, 'could not record budget usage'));
  }
  const over = [
    ...admission.spent.map((r) => runBudgetViolation(ctx, r)),
    ...refusalViolations(admission.refusals, owned, ctx, agent),
    ...rateViolations(admission.rateRefusals, rates, ctx),
  ];
  if (over.length === 0) return { decision };
  const enforced = over.filter((v) => (v.mode ?? decision.mode) === 'enforce');
  const violations = [...decision.violations, ...over];
  if (enforced.length === 0) return { decision: { ...decision, violations } };
  // A spent budget is a "no" for this period; a concurrency or rate limit only a "not now".
  const code = admission.spent.length > 0 ? 'budget_exceeded' : admission.refusals.length > 0 ? 'concurrency_limit' : 'rate_limited';
  return {
    decision: { ...decision, verdict: 'deny', violations },
    error: { code, detail: enforced.map((v) => v.reason).join('; '), violations },
  };
}

/** An approval as a decision carries it: without the request, which the decision has already. */
function summaryOf(row: ApprovalRow): NonNullable<DecisionPayload['approval']> {
  const { request: _request, ...summary } = toApproval(row);
  return summary;
}

/** Why a request held for approval is refused: an approver denied it, or nobody decided in time. */
function approvalRefusal(row: ApprovalRow, decision: DecisionPayload): DomainErrorPayload {
  if (row.state === 'Denied') {
    const why = row.reason ? `: ${row.reason}` : '';
    return {
      code: 'approval_denied',
      detail: `${row.decided_by ?? 'an approver'} denied approval ${row.id}${why}`,
      violations: decision.violations,
    };
  }
  return {
    code: 'approval_expired',
    detail: `nobody decided approval ${row.id} before ${row.expires_at}; submit the request again with a new deliveryId`,
    violations: decision.violations,
  };
}

/**
 * Decides a request and publishes the decision; a denial is also the request's outcome. Both
 * carry derived dedup IDs, so a redelivered request publishes nothing new. `settled` is the
 * decided approval of a request that was held, when its decision is being carried out.
 */
export async function handleRequest(message: RequestMessage, deps: PolicyDeps, settled?: ApprovalRow): Promise<void> {
  const { decision, error } = await admit(message, deps, settled);
  const kind = kindByName(message.payload.kind)?.token ?? message.payload.kind.toLowerCase();
  const envelope = { ...message, occurredAt: decision.evaluatedAt };
  await publish(
    deps.js,
    SUBJECTS.decision,
    { verdict: decision.verdict, kind, verb: message.payload.verb },
    { ...envelope, payload: decision },
    decisionDedupId({ ...envelope, payload: decision }),
  );
  if (decision.violations.length > 0) {
    deps.logger.info({ requestKey: message.requestKey, verdict: decision.verdict, violations: decision.violations }, 'policy violations');
  }
  if (!error) return;
  await publish(
    deps.js,
    SUBJECTS.outcome,
    { kind, verb: message.payload.verb },
    {
      ...envelope,
      payload: { result: 'rejected', id: message.payload.id, kind: message.payload.kind, verb: message.payload.verb, error },
    },
    dedupIds.outcome(message.requestKey, message.attempt),
  );
}

/** Carries out an approval's decision: provisions an approved request, rejects a denied or expired one, then marks it settled. */
export async function settleApproval(row: ApprovalRow, deps: PolicyDeps): Promise<void> {
  await handleRequest(RequestMessageSchema.parse(row.message), deps, row);
  await deps.approvals.markReleased(row.id);
}
