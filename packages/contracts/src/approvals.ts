import { z } from 'zod';
import { Violation } from './problem.js';
import { Condition } from './meta.js';

/**
 * Where an approval stands. Only a `Pending` one can be decided; the others are final: decided by an
 * approver (`Approved`, `Denied`), by nobody in time (`Expired`), or taken back by a delete of the
 * run it holds (`Cancelled`: the run never starts).
 */
export const ApprovalState = z.enum(['Pending', 'Approved', 'Denied', 'Expired', 'Cancelled']);
export type ApprovalState = z.infer<typeof ApprovalState>;

/** What an approver decides. */
export const ApprovalVerdict = z.enum(['approve', 'deny']);
export type ApprovalVerdict = z.infer<typeof ApprovalVerdict>;

/**
 * A request held for approval, without the request itself: who asked, why it is held (`gates`, the
 * approval rules that fired), who may decide it and until when, and the decision once there is one.
 */
export const ApprovalSummary = z.object({
  id: z.guid(),
  state: ApprovalState,
  namespace: z.string(),
  kind: z.string(),
  verb: z.string(),
  name: z.string().optional(),
  requestedBy: z.string(),
  deliveryId: z.string(),
  correlationId: z.string(),
  approverRole: z.string(),
  gates: z.array(Violation),
  createdAt: z.string(),
  expiresAt: z.string(),
  /** Who decided it, or — `Cancelled` — who deleted the run it held. */
  decidedBy: z.string().optional(),
  /** When it was decided, expired or cancelled. */
  decidedAt: z.string().optional(),
  decisionDeliveryId: z.string().optional(),
  reason: z.string().optional(),
});
export type ApprovalSummary = z.infer<typeof ApprovalSummary>;

/** The body of `POST /v1/approvals/{id}/approve` and `/deny`. */
export const ApprovalDecisionBody = z.strictObject({
  deliveryId: z.string().optional(),
  /** Why, in the approver's words; kept with the decision. */
  reason: z.string().max(1024).optional(),
});
export type ApprovalDecisionBody = z.infer<typeof ApprovalDecisionBody>;

/**
 * `202 Accepted` body of a request held for approval: Pending, with an `AwaitingApproval`
 * condition saying why, and the approval to decide. A retry with the same deliveryId gets this
 * answer until an approver decides, then the request's final answer.
 */
export const AwaitingApprovalView = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.literal('AwaitingApproval'),
  deliveryId: z.string(),
  phase: z.literal('Pending'),
  conditions: z.array(Condition),
  approval: ApprovalSummary,
  links: z.object({ approval: z.string() }),
});
export type AwaitingApprovalView = z.infer<typeof AwaitingApprovalView>;
