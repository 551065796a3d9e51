import { JANGAR_LABELS, toResourceView, type ErrorCode, type OutcomePayload } from '@jangar/contracts';
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
  const problem = problemFor(outcome.error.code as ErrorCode, outcome.error.detail, {
    errors: outcome.error.errors,
    violations: outcome.error.violations,
  });
  return { status: problem.status, contentType: PROBLEM_CONTENT_TYPE, body: JSON.stringify(problem) };
}
