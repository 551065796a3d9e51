import { z } from 'zod';
import { Condition } from './meta.js';
import type { ErrorCode } from './errors.js';
import type { Problem, Violation } from './problem.js';

/**
 * Where a queued run stands. It waits `Queued` until a limit lets it start (`Admitted`), the policy
 * refuses it after all (`Rejected`: a budget spent or a rule changed meanwhile), its wait runs
 * out (`Expired`), or a delete of the run takes it out of the queue (`Cancelled`).
 */
export const QueueState = z.enum(['Queued', 'Admitted', 'Rejected', 'Expired', 'Cancelled']);
export type QueueState = z.infer<typeof QueueState>;

/** Why a run waits: the reasons of the reference's `Blocked` condition that keep a run Pending. */
export const BlockedReason = z.enum(['ConcurrencyLimit', 'RateLimit', 'QueueLimit']);
export type BlockedReason = z.infer<typeof BlockedReason>;

/** A run waiting for a concurrency or rate limit: why, since when, until when, and how it ended. */
export const QueueSummary = z.object({
  id: z.guid(),
  state: QueueState,
  namespace: z.string(),
  kind: z.string(),
  name: z.string().optional(),
  agent: z.string().optional(),
  reason: BlockedReason.exclude(['QueueLimit']),
  /** The limit that held it back, in words: "5 of 5 runs are active in namespace "team-a"". */
  message: z.string(),
  enqueuedAt: z.string(),
  expiresAt: z.string(),
  settledAt: z.string().optional(),
});
export type QueueSummary = z.infer<typeof QueueSummary>;

/** A queue entry as `GET /v1/queue` lists it: who asked, with which deliveryId, and — while it waits — its place in its namespace's queue (1 is next). */
export const QueueEntryView = QueueSummary.extend({
  deliveryId: z.string(),
  requestedBy: z.string(),
  position: z.number().int().min(1).optional(),
});
export type QueueEntryView = z.infer<typeof QueueEntryView>;

/** The filters of `GET /v1/queue`: by default the runs still waiting, in the order they will be tried. */
export const QueueFilter = z.strictObject({
  namespace: z.string().min(1).optional(),
  state: QueueState.default('Queued'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  continue: z.string().min(1).optional(),
});
export type QueueFilter = z.infer<typeof QueueFilter>;

/**
 * `202 Accepted` body of a run waiting in the queue: Pending, with a `Blocked` condition saying
 * which limit holds it. A retry with the same deliveryId gets this answer until the run is
 * admitted (then `201` with the run) or refused.
 */
export const QueuedView = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.literal('Queued'),
  deliveryId: z.string(),
  phase: z.literal('Pending'),
  conditions: z.array(Condition),
  queue: QueueSummary,
});
export type QueuedView = z.infer<typeof QueuedView>;

/** The reason an `InvalidSpec` condition gives for each rule that refuses a run's spec. */
const INVALID_SPEC_REASONS: Record<string, string> = {
  'runtime-type-allowed': 'RuntimeNotAllowed',
  'provider-allowed': 'ProviderNotAllowed',
  'service-account-allowed': 'ServiceAccountNotAllowed',
  'secrets-allowlist': 'SecretNotAllowed',
  'image-allowed': 'ImageNotAllowed',
};

/** The retryable refusals: a limit holds the run back, and a retry is decided again. */
const BLOCKING: Partial<Record<ErrorCode, { reason: BlockedReason; ruleIds: readonly string[] }>> = {
  concurrency_limit: { reason: 'ConcurrencyLimit', ruleIds: ['concurrency-limit'] },
  rate_limited: { reason: 'RateLimit', ruleIds: ['rate-limit'] },
  queue_full: { reason: 'QueueLimit', ruleIds: ['queue-limit'] },
};

/** Where a refused run would stand, in the reference's terms: its phase and the conditions saying why. */
export interface RefusedRunState {
  phase: NonNullable<Problem['phase']>;
  conditions: Condition[];
}

/**
 * The phase and conditions a refusal gives a run, as the reference's controller would set them:
 * `Blocked` (Pending; a retry is decided again) for a concurrency, rate or queue limit, and
 * `InvalidSpec` (Failed) for a rule its spec breaks. Undefined for refusals that are not about a
 * run's admission.
 */
export function refusedRunState(code: ErrorCode, violations: readonly Violation[] = []): RefusedRunState | undefined {
  const enforced = violations.filter((v) => v.mode !== 'audit');
  const message = (ruleIds: readonly string[]) =>
    enforced
      .filter((v) => ruleIds.includes(v.ruleId))
      .map((v) => v.reason)
      .join('; ');
  const blocked = (reason: BlockedReason | 'BudgetExceeded', ruleIds: readonly string[], phase: RefusedRunState['phase']) => ({
    phase,
    conditions: [{ type: 'Blocked', status: 'True' as const, reason, message: message(ruleIds) }],
  });
  const held = BLOCKING[code];
  if (held) return blocked(held.reason, held.ruleIds, 'Pending');
  // The wait ran out: still held back by its limit, but final for this deliveryId.
  if (code === 'queue_expired') {
    const rate = enforced.some((v) => v.ruleId === 'rate-limit');
    return blocked(rate ? 'RateLimit' : 'ConcurrencyLimit', ['concurrency-limit', 'rate-limit'], 'Failed');
  }
  // Deleted while it waited: it never started, and never will under this deliveryId. A run held for
  // approval is refused with its approval gates, a queued one with none.
  if (code === 'run_cancelled') {
    const held = enforced.some((v) => v.ruleId === 'approval-required');
    const message = held ? 'deleted while it waited for approval' : 'deleted while it waited in its queue';
    return { phase: 'Cancelled', conditions: [{ type: 'Blocked', status: 'False', reason: 'Cancelled', message }] };
  }
  // A spent budget is final for this request: nothing frees it before the period rolls on.
  if (code === 'budget_exceeded') return blocked('BudgetExceeded', ['budget-exceeded'], 'Failed');
  if (code !== 'policy_denied') return undefined;
  const invalid = enforced.filter((v) => INVALID_SPEC_REASONS[v.ruleId] !== undefined);
  if (invalid.length === 0) return undefined;
  const reason = INVALID_SPEC_REASONS[invalid[0]!.ruleId]!;
  return {
    phase: 'Failed',
    conditions: [{ type: 'InvalidSpec', status: 'True', reason, message: invalid.map((v) => v.reason).join('; ') }],
  };
}
