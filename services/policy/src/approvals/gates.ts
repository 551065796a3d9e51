import {
  DEFAULT_APPROVAL_EXPIRY_SECONDS,
  matchesLabelSelector,
  parseLabelSelector,
  type PolicyMode,
  type RequestPayload,
  type Violation,
} from '@jangar/contracts';
import type { DecisionContext } from '../context.js';
import { serviceAccountsOf, type Subject } from '../rules.js';

/** The id every approval gate reports under, so a decision's violations say why a request waits. */
export const APPROVAL_RULE = 'approval-required';

/** Why a request must wait for an approver, who may approve it, and for how long it waits. */
export interface ApprovalGates {
  gates: Violation[];
  approverRole: string;
  expireAfterSeconds: number;
}

const gate = (path: string, reason: string, policy: string, mode: PolicyMode): Violation => ({
  ruleId: APPROVAL_RULE,
  path,
  reason,
  policy,
  mode,
});

/** The resources a request uses that an ApprovalPolicy may name: the request's own target, and a run's Agent or Orchestration. */
function namedBy(request: RequestPayload, subject: Subject | undefined): Array<{ kind: string; name: string; path: string }> {
  const named = request.metadata.name ? [{ kind: request.kind, name: request.metadata.name, path: 'metadata.name' }] : [];
  const spec = subject?.spec as { agentRef?: { name?: unknown }; orchestrationRef?: { name?: unknown } } | undefined;
  if (request.kind === 'AgentRun' && typeof spec?.agentRef?.name === 'string')
    named.push({ kind: 'Agent', name: spec.agentRef.name, path: 'spec.agentRef.name' });
  if (request.kind === 'OrchestrationRun' && typeof spec?.orchestrationRef?.name === 'string')
    named.push({ kind: 'Orchestration', name: spec.orchestrationRef.name, path: 'spec.orchestrationRef.name' });
  return named;
}

/**
 * The approval gates a request passes through: a guardrail's privileged service accounts and
 * deployment selector (for new runs), and every ApprovalPolicy naming what the request changes or
 * uses. Pure. A gate in `audit` mode is recorded but holds nothing.
 *
 * Who approves, and for how long the request waits, is set by the least specific guardrail that
 * raised a gate: a namespace's own Guardrail may not hand the cluster default's gates to a role of
 * its choosing, nor stretch their expiry. With no guardrail gate (only ApprovalPolicies), the most
 * specific guardrail that says anything about approvals sets them.
 */
export function approvalGates(request: RequestPayload, subject: Subject | undefined, ctx: DecisionContext): ApprovalGates {
  const gates: Violation[] = [];
  const isNewRun = request.verb === 'create' && (request.kind === 'AgentRun' || request.kind === 'OrchestrationRun');
  // A change of a run that has not started may still change the account it will run as.
  // With no object to change (gone, or not made yet) there is nothing to hold: the provisioner answers 404.
  const isRunChange =
    (request.verb === 'patch' || request.verb === 'update') && request.kind === 'AgentRun' && subject?.before !== undefined;
  let settings: { approverRole: string; expireAfterSeconds: number } | undefined;
  let raisedBy: { approverRole: string; expireAfterSeconds: number } | undefined;
  for (const g of ctx.guardrails) {
    const approvals = g.spec.approvals;
    if (!approvals) continue;
    settings = approvals; // guardrails come least specific first
    if (!isNewRun && !isRunChange) continue;
    const before = gates.length;
    if (request.kind === 'AgentRun' && approvals.privilegedServiceAccounts?.length) {
      // A change is held only for an account the run did not already name: its create was held for that one.
      const had = new Set(isRunChange ? serviceAccountsOf(subject?.before as never).map((a) => a.account) : []);
      for (const { account, path } of serviceAccountsOf(subject?.spec as never)) {
        if (approvals.privilegedServiceAccounts.includes(account) && !had.has(account)) {
          gates.push(gate(path, `runs as privileged service account "${account}" (${g.id})`, g.id, g.mode));
        }
      }
    }
    if (
      isNewRun &&
      approvals.deploymentSelector &&
      matchesLabelSelector(parseLabelSelector(approvals.deploymentSelector), request.metadata.labels)
    ) {
      gates.push(gate('metadata.labels', `is a deployment: its labels match "${approvals.deploymentSelector}" (${g.id})`, g.id, g.mode));
    }
    if (gates.length > before && g.mode === 'enforce') raisedBy ??= approvals;
  }
  if (request.verb !== 'delete' || request.metadata.name) {
    const uses = namedBy(request, subject);
    for (const p of ctx.approvalPolicies) {
      const mode: PolicyMode = p.spec.mode === 'audit' ? 'audit' : 'enforce';
      for (const s of p.spec.subjects ?? []) {
        if ((s.namespace ?? ctx.namespace) !== ctx.namespace) continue;
        const hit = uses.find((u) => u.kind === s.kind && u.name === s.name);
        if (hit) gates.push(gate(hit.path, `${s.kind} "${s.name}" needs approval (${p.id})`, p.id, mode));
      }
    }
  }
  const chosen = raisedBy ?? settings;
  return {
    gates,
    approverRole: chosen?.approverRole ?? 'approver',
    expireAfterSeconds: chosen?.expireAfterSeconds ?? DEFAULT_APPROVAL_EXPIRY_SECONDS,
  };
}
