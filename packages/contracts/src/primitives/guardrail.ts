import { z } from 'zod';
import { Condition } from '../meta.js';
import { RuntimeType } from './agent-run.js';
import { parseLabelSelector } from '../label-selector.js';

/** `enforce` denies a violating request; `audit` records the would-be denial and lets it through. */
export const PolicyMode = z.enum(['enforce', 'audit']);
export type PolicyMode = z.infer<typeof PolicyMode>;

/** An image pattern: a reference with `*` standing for any run of characters (`ghcr.io/proompteng/*`). */
const ImagePattern = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._\-/:@*]+$/, { message: 'must be an image reference, with * as a wildcard' });

/** A label selector in Kubernetes syntax (`tier=prod,app in (api)`), checked where the Guardrail is admitted. */
const SelectorText = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (text) => {
      try {
        parseLabelSelector(text);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a Kubernetes label selector such as "tier=prod,app in (api)"' },
  );

/** One day: how long a request held for approval waits for a decision unless the guardrail says otherwise. */
export const DEFAULT_APPROVAL_EXPIRY_SECONDS = 24 * 60 * 60;

/**
 * Which requests wait for a person to approve them: privileged runs (executing as a privileged
 * service account) and deployments (requests whose labels match `deploymentSelector`).
 */
export const GuardrailApprovals = z.strictObject({
  privilegedServiceAccounts: z.array(z.string().min(1)).optional(),
  deploymentSelector: SelectorText.optional(),
  /** The role an approver's token must hold. The requester can never approve their own request. */
  approverRole: z.string().min(1).max(253).default('approver'),
  /** How long a held request waits before it is rejected as expired. */
  expireAfterSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 60 * 60)
    .default(DEFAULT_APPROVAL_EXPIRY_SECONDS),
});
export type GuardrailApprovals = z.infer<typeof GuardrailApprovals>;

/** The reference's defaults: at most 200 runs wait per namespace, 1000 in the cluster, each at most an hour. */
export const DEFAULT_QUEUE = { namespace: 200, cluster: 1000, maxWaitSeconds: 60 * 60 } as const;

/**
 * A queue for runs a limit holds back: how many may wait in the namespace and — on the cluster
 * default only — in the whole cluster, and how long one waits before it is refused after all.
 */
export const GuardrailQueue = z.strictObject({
  namespace: z.number().int().min(0).max(100_000).default(DEFAULT_QUEUE.namespace),
  cluster: z.number().int().min(0).max(1_000_000).optional(),
  maxWaitSeconds: z.number().int().min(1).max(7 * 24 * 60 * 60).default(DEFAULT_QUEUE.maxWaitSeconds),
});
export type GuardrailQueue = z.infer<typeof GuardrailQueue>;

/**
 * Spec of a Guardrail: the namespace's rules for what runs may use. A list left out places no
 * constraint; when several guardrails apply (the namespace's and the cluster default), each is
 * checked on its own, in its own mode.
 */
export const GuardrailSpec = z.strictObject({
  mode: PolicyMode.default('enforce'),
  /** AgentProvider names an Agent may bind to. */
  allowedProviders: z.array(z.string().min(1)).optional(),
  /** Runtime types a run may ask for. */
  allowedRuntimes: z.array(RuntimeType).optional(),
  /** Service accounts a run may execute as (beyond what its Agent allows). */
  allowedServiceAccounts: z.array(z.string().min(1)).optional(),
  /** Images a run's workload and steps may use. */
  allowedImages: z.array(ImagePattern).optional(),
  /**
   * How many runs may be active (not yet Succeeded, Failed or Cancelled) at once: in the namespace,
   * per Agent, and — on the cluster default only — in the whole cluster.
   */
  concurrency: z
    .strictObject({
      namespace: z.number().int().min(0).optional(),
      agent: z.number().int().min(0).optional(),
      cluster: z.number().int().min(0).optional(),
    })
    .optional(),
  /**
   * How many runs may start per `periodSeconds` (default 60): in the namespace, and — on the
   * cluster default only — in the whole cluster. Over it, a run is `429 rate_limited`.
   */
  rateLimits: z
    .strictObject({
      namespace: z.number().int().min(0).optional(),
      cluster: z.number().int().min(0).optional(),
      periodSeconds: z.number().int().min(1).max(86_400).default(60),
    })
    .optional(),
  approvals: GuardrailApprovals.optional(),
  /**
   * Whether a run over a concurrency or rate limit waits its turn instead of being refused: when
   * set, it is answered `202` with a `Blocked` condition and admitted as soon as the limit allows.
   */
  queue: GuardrailQueue.optional(),
});
export type GuardrailSpec = z.infer<typeof GuardrailSpec>;

/** Phases of a Guardrail. */
export const GuardrailPhase = z.enum(['Ready', 'Invalid']);

/** Status of a Guardrail. */
export const GuardrailStatus = z.object({
  phase: GuardrailPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
export type GuardrailStatus = z.infer<typeof GuardrailStatus>;
