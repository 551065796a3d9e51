import {
  JANGAR_LABELS,
  kindByName,
  toResourceView,
  type AwaitingApprovalView,
  type DecisionMessage,
  type ErrorCode,
  holdConditions,
  type OutcomePayload,
  type Problem,
  type QueuedView,
  refusedRunState,
} from '@jangar/contracts';

import type { StoredResponse } from './deliveries/store.js';
import { PROBLEM_CONTENT_TYPE, problemFor } from './problems.js';

/**
 * The HTTP answer for an outcome. Pure and deterministic: every path that stores or sends an
 * answer derives the same bytes from the same outcome.
 */
export function responseForOutcome(outcome: OutcomePayload): StoredResponse {
  if (outcome.result === 'applied') {
    const view = toResourceView(outcome.resource, JANGAR_LABELS.id);
    // 201 for a new resource, 202 for a delete that finalizers still hold, 200 for the rest.
    const status = outcome.verb === 'create' ? 201 : outcome.deletion === 'pending' ? 202 : 200;
    return { status, contentType: 'application/json', body: JSON.stringify(view) };
  }
  const code = outcome.error.code as ErrorCode;
  // A refused create of a run gets the phase and conditions the run would have had.
  const run = kindByName(outcome.kind)?.isRun && outcome.verb === 'create' ? refusedRunState(code, outcome.error.violations) : undefined;
  const problem = problemFor(code, outcome.error.detail, {
    errors: outcome.error.errors,
    violations: outcome.error.violations,
    ...(run ? { run } : {}),
  });
  return responseForProblem(problem);
}

/** The stored answer that is a problem: its status, problem+json, its bytes. */
export function responseForProblem(problem: Problem): StoredResponse {
  return { status: problem.status, contentType: PROBLEM_CONTENT_TYPE, body: JSON.stringify(problem) };
}

/**
 * The 202 answer of a request a `pending` decision holds: waiting in the queue for a limit, or for
 * an approver. A run both approved and then queued is answered as queued: that is what it waits for now.
 */
export function responseForHold(m: DecisionMessage): StoredResponse | undefined {
  const conditions = holdConditions(m.payload);
  const { queue, approval, request } = m.payload;
  if (!conditions) return undefined;
  const answer = (view: QueuedView | AwaitingApprovalView): StoredResponse => ({
    status: 202,
    contentType: 'application/json',
    body: JSON.stringify(view),
  });
  const { id, kind } = request;
  if (queue?.state === 'Queued')
    return answer({ id, kind, status: 'Queued', deliveryId: m.deliveryId, phase: 'Pending', conditions, queue });
  if (!approval) return undefined;
  return answer({
    id,
    kind,
    status: 'AwaitingApproval',
    deliveryId: m.deliveryId,
    phase: 'Pending',
    conditions,
    approval,
    links: { approval: `/v1/approvals/${approval.id}` },
  });
}
