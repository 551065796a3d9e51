import { z } from 'zod';
import { FieldError, Violation } from './problem.js';
import { KubeObject } from './rest.js';
import { NormalizedRun } from './runs.js';
import { ERROR_CODE_LIST } from './errors.js';
import { ApprovalSummary } from './approvals.js';
import { QueueSummary } from './queue.js';

/** `update` replaces the spec (PUT), `patch` merges into it (RFC 7386), `delete` removes the resource. */
export const Verb = z.enum(['create', 'update', 'patch', 'delete']);
export type Verb = z.infer<typeof Verb>;

/** Who asked: the authenticated subject behind a token. */
export const Principal = z.object({
  subject: z.string(),
  roles: z.array(z.string()).default([]),
});
export type Principal = z.infer<typeof Principal>;

/**
 * What every bus message carries besides its payload. `requestKey` is the deliveryId qualified by
 * the principal's scope; it is the JetStream dedup ID and the key every consumer is idempotent on.
 */
export function envelopeOf<P extends z.ZodType>(payload: P) {
  return z.object({
    deliveryId: z.string(),
    requestKey: z.string(),
    /** 1, or more once the request was retried after a retryable rejection. */
    attempt: z.number().int().min(1).default(1),
    correlationId: z.string(),
    principal: Principal,
    namespace: z.string(),
    occurredAt: z.string(),
    payload,
  });
}

/**
 * A request to change a primitive, as the gateway accepted it. `id` is the new resource's Jangar id
 * on create and the request's own id otherwise. `resourceVersion` is the client's precondition;
 * `patch` is the merge patch of a `patch` request.
 */
export const RequestPayload = z.object({
  id: z.uuid(),
  kind: z.string(),
  verb: Verb,
  metadata: z.object({
    namespace: z.string(),
    name: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    resourceVersion: z.string().optional(),
  }),
  /** The spec of a create or update; a patch carries `patch` instead, a delete neither. */
  spec: z.unknown().optional(),
  patch: z.unknown().optional(),
});
export type RequestPayload = z.infer<typeof RequestPayload>;

export const Verdict = z.enum(['allow', 'deny', 'pending']);
export type Verdict = z.infer<typeof Verdict>;

/** The policy service's decision on one request, with the rules that fired. */
export const DecisionPayload = z.object({
  request: RequestPayload,
  verdict: Verdict,
  mode: z.enum(['enforce', 'audit']),
  violations: z.array(Violation),
  policyVersion: z.string(),
  evaluatedAt: z.string(),
  /** The approval holding a `pending` request, or — once decided — the approval that settled it. */
  approval: ApprovalSummary.optional(),
  /** The queue entry of a run a limit holds back (`pending`), or — once it leaves — how it left. */
  queue: QueueSummary.optional(),
});
export type DecisionPayload = z.infer<typeof DecisionPayload>;

/** A domain error that crossed the bus; the gateway maps `code` to an HTTP status. */
export const DomainErrorPayload = z.object({
  code: z.enum(ERROR_CODE_LIST as [string, ...string[]]),
  detail: z.string(),
  errors: z.array(FieldError).optional(),
  violations: z.array(Violation).optional(),
});
export type DomainErrorPayload = z.infer<typeof DomainErrorPayload>;

/** The final result of a request: the resource as applied, or why nothing was applied. */
export const OutcomePayload = z.discriminatedUnion('result', [
  z.object({
    result: z.literal('applied'),
    id: z.string(),
    kind: z.string(),
    verb: Verb,
    created: z.boolean(),
    resource: KubeObject,
    /** For a delete: `pending` while finalizers hold the object, `completed` once it is gone. */
    deletion: z.enum(['pending', 'completed']).optional(),
  }),
  z.object({ result: z.literal('rejected'), id: z.string(), kind: z.string(), verb: Verb, error: DomainErrorPayload }),
]);
export type OutcomePayload = z.infer<typeof OutcomePayload>;

/** One observed change of a run's normalized status. */
export const RunStatusPayload = z.object({
  run: NormalizedRun,
  previousPhase: z.string().optional(),
});
export type RunStatusPayload = z.infer<typeof RunStatusPayload>;
