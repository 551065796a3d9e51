import { z } from 'zod';
import { Condition } from '../meta.js';
import { PolicySubject } from './common.js';

/**
 * Phases of an ApprovalPolicy. An ApprovalGate step passes on Approved or Ready; validatePolicies
 * refuses a run whose policy is Denied or Blocked.
 */
export const ApprovalPolicyPhase = z.enum(['Pending', 'Ready', 'Approved', 'Denied', 'Blocked', 'Invalid']);
export type ApprovalPolicyPhase = z.infer<typeof ApprovalPolicyPhase>;

/** Spec of an ApprovalPolicy: how approvals are decided, the decision without one, and the objects it governs. */
export const ApprovalPolicySpec = z.strictObject({
  mode: z.string().min(1).optional(),
  defaultDecision: z.string().min(1).optional(),
  subjects: z.array(PolicySubject).optional(),
});
export type ApprovalPolicySpec = z.infer<typeof ApprovalPolicySpec>;

/** Status of an ApprovalPolicy: its current decision as a phase, and when it was last decided. */
export const ApprovalPolicyStatus = z.object({
  phase: ApprovalPolicyPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  lastDecisionAt: z.string().optional(),
});
export type ApprovalPolicyStatus = z.infer<typeof ApprovalPolicyStatus>;
