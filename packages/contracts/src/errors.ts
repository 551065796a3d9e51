/**
 * The one registry of problem codes. Each code has a stable string (clients match on it), the HTTP
 * status the gateway answers with, and a title. Services raise domain errors by code only.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_label_selector: { status: 400, title: 'The label selector is not valid' },
  delivery_id_required: { status: 400, title: 'A deliveryId is required' },
  invalid_delivery_id: { status: 400, title: 'The deliveryId is not valid' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'The principal may not do this' },
  policy_denied: { status: 403, title: 'Denied by policy' },
  budget_exceeded: { status: 403, title: 'A budget is spent' },
  approval_denied: { status: 403, title: 'An approver denied the request' },
  self_approval_forbidden: { status: 403, title: 'A request cannot be approved by the principal who made it' },
  approver_role_required: { status: 403, title: 'Deciding this approval needs the approver role' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  request_in_progress: { status: 409, title: 'A request with this deliveryId is still in progress' },
  approval_already_decided: { status: 409, title: 'The approval was already decided' },
  approval_expired: { status: 410, title: 'The approval expired before anyone decided it' },
  queue_expired: { status: 410, title: 'The run waited in its queue longer than its guardrail allows' },
  run_cancelled: { status: 410, title: 'The run was deleted while it waited in its queue or for approval' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  reference_not_found: { status: 422, title: 'A referenced resource does not exist' },
  idempotency_key_reused: { status: 422, title: 'The deliveryId was used for a different request' },
  concurrency_limit: { status: 429, title: 'Too many runs are active' },
  rate_limited: { status: 429, title: 'Too many requests' },
  queue_full: { status: 429, title: 'The queue of waiting runs is full' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'A dependency is unavailable' },
  timeout: { status: 504, title: 'The request timed out' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base URI of the problem `type` documents; each code gets `${PROBLEM_TYPE_BASE}<code>`. */
export const PROBLEM_TYPE_BASE = 'https://jangar.proompteng.ai/problems/';

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

/**
 * Rejections that say "not now" rather than "no": they are answered but not stored as the
 * deliveryId's final answer, so a retry with the same deliveryId is decided again.
 */
export const RETRYABLE_CODES: readonly ErrorCode[] = ['concurrency_limit', 'rate_limited', 'queue_full'];
