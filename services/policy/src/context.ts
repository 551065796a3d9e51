import {
  Agent,
  AgentSpec,
  ApprovalPolicy,
  ApprovalPolicySpec,
  Budget,
  BudgetSpec,
  BudgetStatus,
  type BudgetAmounts,
  Guardrail,
  GuardrailSpec,
  SecretBinding,
  SecretBindingSpec,
  type KindDefinition,
  type KubeObject,
  type PolicyMode,
} from '@jangar/contracts';
import type { ClusterView } from './cluster-view.js';

/** A policy resource as a decision used it: who it is (`Guardrail team-a/strict`), at which version, and its spec. */
export interface Used<S> {
  id: string;
  version: string;
  spec: S;
}

/** Everything a decision consults besides the request: the guardrails that apply, the run's Agent, the namespace's SecretBindings. */
export interface DecisionContext {
  namespace: string;
  /** The mode of rules no guardrail owns (an Agent's allowlists, SecretBindings). */
  baselineMode: PolicyMode;
  /** Built-in first, then the cluster default, then the namespace's own: later ones are more specific. */
  guardrails: Array<Used<GuardrailSpec> & { mode: PolicyMode; scope: 'built-in' | 'cluster' | 'namespace' }>;
  agent: Used<AgentSpec> | undefined;
  secretBindings: Array<Used<SecretBindingSpec>>;
  /** The namespace's Budgets that apply to the run: those naming no subjects, or naming its Agent. */
  budgets: Array<Used<BudgetSpec> & { used: BudgetAmounts | undefined }>;
  /** The namespace's ApprovalPolicies: what they name waits for an approver. */
  approvalPolicies: Array<Used<ApprovalPolicySpec>>;
}

/** What the policy service is configured with: the built-in guardrail and where the cluster default lives. */
export interface PolicySettings {
  mode: PolicyMode;
  /** The built-in guardrail's runtime allowlist, before any Guardrail resource. */
  allowedRuntimes: readonly string[];
  /** The built-in concurrency limits (per namespace, per Agent, cluster-wide). */
  concurrency: { namespace: number; agent: number; cluster: number };
  /** The built-in rate limits: runs started per period in a namespace and in the cluster. */
  rateLimits: { namespace: number; cluster: number; periodSeconds: number };
  /** How many runs may wait in the cluster's queues; a namespace queues only when a Guardrail says so. */
  queueCluster: number;
  /** The namespace whose Guardrail named `default` applies to every namespace. */
  policyNamespace: string;
}

export const CLUSTER_DEFAULT_GUARDRAIL = 'default';

function used<S>(kind: KindDefinition, obj: KubeObject, parse: (spec: unknown) => S | undefined): Used<S> | undefined {
  const spec = parse(obj.spec);
  if (spec === undefined) return undefined;
  return { id: `${kind.kind} ${obj.metadata.namespace}/${obj.metadata.name}`, version: obj.metadata.resourceVersion, spec };
}

const parser =
  <S>(schema: { safeParse(v: unknown): { success: true; data: S } | { success: false } }) =>
  (spec: unknown): S | undefined => {
    const parsed = schema.safeParse(spec);
    return parsed.success ? parsed.data : undefined;
  };

/**
 * The context of a decision in `namespace`: the built-in guardrail, the cluster default, the
 * namespace's own guardrails, the named Agent and the namespace's SecretBindings. A resource whose
 * spec does not parse is left out (its admission would have refused it).
 */
export function contextFor(view: ClusterView, settings: PolicySettings, namespace: string, agentName: string | undefined): DecisionContext {
  const builtIn = {
    id: 'built-in',
    version: '0',
    mode: settings.mode,
    scope: 'built-in' as const,
    spec: GuardrailSpec.parse({
      allowedRuntimes: settings.allowedRuntimes,
      concurrency: settings.concurrency,
      rateLimits: settings.rateLimits,
      queue: { namespace: 0, cluster: settings.queueCluster },
    }),
  };
  const resolve = (objs: KubeObject[], scope: 'cluster' | 'namespace') =>
    objs
      .map((g) => used(Guardrail, g, parser(GuardrailSpec)))
      .filter((g): g is Used<GuardrailSpec> => g !== undefined)
      .map((g) => ({ ...g, mode: g.spec.mode, scope }));
  const clusterDefault = view.get(Guardrail, settings.policyNamespace, CLUSTER_DEFAULT_GUARDRAIL);
  // In the policy namespace the cluster default is not counted twice.
  const own = view
    .list(Guardrail, namespace)
    .filter((g) => !(namespace === settings.policyNamespace && g.metadata.name === CLUSTER_DEFAULT_GUARDRAIL));
  const guardrails = [...resolve(clusterDefault ? [clusterDefault] : [], 'cluster'), ...resolve(own, 'namespace')];
  const agentObj = agentName ? view.get(Agent, namespace, agentName) : undefined;
  return {
    namespace,
    baselineMode: settings.mode,
    guardrails: [builtIn, ...guardrails],
    agent: agentObj ? used(Agent, agentObj, parser(AgentSpec)) : undefined,
    secretBindings: view
      .list(SecretBinding, namespace)
      .map((b) => used(SecretBinding, b, parser(SecretBindingSpec)))
      .filter((b): b is Used<SecretBindingSpec> => b !== undefined),
    approvalPolicies: view
      .list(ApprovalPolicy, namespace)
      .map((p) => used(ApprovalPolicy, p, parser(ApprovalPolicySpec)))
      .filter((p): p is Used<ApprovalPolicySpec> => p !== undefined),
    budgets: view.list(Budget, namespace).flatMap((b) => {
      const u = used(Budget, b, parser(BudgetSpec));
      if (!u) return [];
      const applies =
        !u.spec.subjects?.length ||
        u.spec.subjects.some((s) => s.kind === 'Agent' && s.name === agentName && (s.namespace ?? namespace) === namespace);
      const status = BudgetStatus.safeParse(b.status ?? {});
      return applies ? [{ ...u, used: status.success ? status.data.used : undefined }] : [];
    }),
  };
}
