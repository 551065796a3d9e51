import { z } from 'zod';
import { DatabaseConfig } from '@jangar/service-kit';
import { NamespaceName, PolicyMode, RuntimeType } from '@jangar/contracts';

/** A comma-separated environment variable, each item checked by `item`. */
const list = <T extends z.ZodType<string>>(item: T) =>
  z.preprocess(
    (s) =>
      typeof s === 'string'
        ? s
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x !== '')
        : s,
    z.array(item),
  );

export const PolicyConfig = DatabaseConfig.extend({
  KUBECONFIG: z.string().optional(),
  /** The built-in guardrail: runtime types a run may ask for before any Guardrail resource narrows them. */
  JANGAR_POLICY_ALLOWED_RUNTIMES: list(RuntimeType).default(['workflow', 'job', 'temporal', 'custom']),
  /** The mode of the built-in guardrail and of rules no Guardrail owns (an Agent's allowlists, SecretBindings). */
  JANGAR_POLICY_MODE: PolicyMode.default('enforce'),
  /** Where the cluster-wide default Guardrail (named `default`) lives. */
  JANGAR_POLICY_NAMESPACE: NamespaceName.default('jangar-system'),
  /** The built-in concurrency limits: active runs per namespace, per Agent and in the cluster. */
  JANGAR_POLICY_CONCURRENCY_NAMESPACE: z.coerce.number().int().min(0).default(10),
  JANGAR_POLICY_CONCURRENCY_AGENT: z.coerce.number().int().min(0).default(5),
  JANGAR_POLICY_CONCURRENCY_CLUSTER: z.coerce.number().int().min(0).default(100),
  /** The built-in rate limits: runs started per `JANGAR_POLICY_RATE_PERIOD_SECONDS` in a namespace and in the cluster. */
  JANGAR_POLICY_RATE_NAMESPACE: z.coerce.number().int().min(0).default(120),
  JANGAR_POLICY_RATE_CLUSTER: z.coerce.number().int().min(0).default(600),
  JANGAR_POLICY_RATE_PERIOD_SECONDS: z.coerce.number().int().min(1).default(60),
  /** How many runs may wait in all namespaces' queues together (a Guardrail's `queue` turns a namespace's on). */
  JANGAR_POLICY_QUEUE_CLUSTER: z.coerce.number().int().min(0).default(1000),
  /** How often the queue is tried besides when a slot frees: rate windows roll on, and waits run out. */
  JANGAR_POLICY_QUEUE_SWEEP_MS: z.coerce.number().int().min(100).default(1_000),
  /** How often slots held by runs that are gone or ended (without a status message) are released, and Budgets' run counts checked against their rolling periods. */
  JANGAR_POLICY_RECONCILE_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often approvals past their expiry are expired, and decided ones not yet carried out are settled. */
  JANGAR_POLICY_APPROVAL_SWEEP_MS: z.coerce.number().int().min(200).default(5_000),
  /**
   * How long settled queue entries, carried-out approvals and released slots are kept. At least a
   * day (the longest rate window), and no shorter than the gateway's JANGAR_IDEMPOTENCY_RETENTION_HOURS.
   */
  JANGAR_POLICY_RETENTION_HOURS: z.coerce
    .number()
    .min(24)
    .default(7 * 24),
  /** How often what is past retention is purged. */
  JANGAR_POLICY_PURGE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(60 * 60 * 1000),
});
export type PolicyConfig = z.infer<typeof PolicyConfig>;
