import type { PolicyMode, Violation } from '@jangar/contracts';
import type { DecisionContext } from './context.js';

/**
 * What is being decided: a kind, and the spec it would have once applied (a patch already merged);
 * for a change of a run, `before` is its spec as it stands.
 */
export interface Subject {
  kind: string;
  spec: unknown;
  before?: unknown;
}

/** A guardrail: a stable id, the kinds it looks at, and a pure check returning its violations. */
export interface Rule {
  id: string;
  kinds: readonly string[];
  check(subject: Subject, ctx: DecisionContext): Violation[];
}

/**
 * What the rules read of a run's spec. A patch is merged before it is validated (the provisioner
 * validates the result), so nothing here can be trusted to have its type: every list is read
 * through {@link listOf}.
 */
interface RunSpecView {
  agentRef?: { name?: string };
  runtime?: { type?: string; config?: { serviceAccountName?: unknown } };
  serviceAccountName?: unknown;
  secrets?: unknown;
  workload?: WorkloadView;
  workflow?: { steps?: unknown };
}

interface WorkloadView {
  image?: string;
  volumes?: unknown;
}

/** `value` when it is a list, else none: a merged patch may hold anything where a list belongs. */
const listOf = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** The workloads of a run, each with where it stands: the run's own and every step's. */
function workloadsOf(spec: RunSpecView): Array<{ workload: WorkloadView; path: string }> {
  const all = spec.workload ? [{ workload: spec.workload, path: 'spec.workload' }] : [];
  listOf<{ workload?: WorkloadView } | null>(spec.workflow?.steps).forEach((step, i) => {
    if (step?.workload) all.push({ workload: step.workload, path: `spec.workflow.steps[${i}].workload` });
  });
  return all;
}

/**
 * Every secret a run asks for, with where it asks: its `secrets`, and each secret volume of its
 * workloads (a secret mounted is a secret used, whichever field names it).
 */
function secretsOf(spec: RunSpecView): Array<{ secret: string; path: string }> {
  const named = listOf<unknown>(spec.secrets).flatMap((secret, i) =>
    typeof secret === 'string' ? [{ secret, path: `spec.secrets[${i}]` }] : [],
  );
  for (const { workload, path } of workloadsOf(spec)) {
    listOf<{ type?: unknown; secretName?: unknown } | null>(workload.volumes).forEach((volume, i) => {
      if (typeof volume?.secretName === 'string' && volume.secretName !== '')
        named.push({ secret: volume.secretName, path: `${path}.volumes[${i}].secretName` });
    });
  }
  return named;
}

const violation = (ruleId: string, path: string, reason: string, policy: string, mode: PolicyMode): Violation => ({
  ruleId,
  path,
  reason,
  policy,
  mode,
});

/** True when `image` matches `pattern`, where `*` stands for any run of characters. */
export function imageMatches(pattern: string, image: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(image);
}

/**
 * Every service account a run names, with where: its runtime config's and its own
 * `spec.serviceAccountName` (the runtime decides which it uses, so policy holds both to the
 * rules); `default` when it names none.
 */
export function serviceAccountsOf(spec: RunSpecView | undefined): Array<{ account: string; path: string }> {
  const named = [
    { account: spec?.runtime?.config?.serviceAccountName, path: 'spec.runtime.config.serviceAccountName' },
    { account: spec?.serviceAccountName, path: 'spec.serviceAccountName' },
  ]
    .filter((n): n is { account: string; path: string } => typeof n.account === 'string' && n.account !== '')
    // The same account in both fields is one account, checked once.
    .filter((n, i, all) => all.findIndex((m) => m.account === n.account) === i);
  return named.length > 0 ? named : [{ account: 'default', path: 'spec.runtime.config.serviceAccountName' }];
}

/** Every image a run asks for, with where it asks. */
function imagesOf(spec: RunSpecView): Array<{ image: string; path: string }> {
  return workloadsOf(spec).flatMap(({ workload, path }) =>
    typeof workload.image === 'string' && workload.image !== '' ? [{ image: workload.image, path: `${path}.image` }] : [],
  );
}

export const RULES: readonly Rule[] = [
  {
    id: 'runtime-type-allowed',
    kinds: ['AgentRun'],
    check(subject, ctx) {
      const type = (subject.spec as RunSpecView).runtime?.type;
      if (type === undefined) return [];
      return ctx.guardrails.flatMap((g) =>
        g.spec.allowedRuntimes === undefined || g.spec.allowedRuntimes.includes(type as never)
          ? []
          : [
              violation(
                this.id,
                'spec.runtime.type',
                `runtime type "${type}" is not allowed (allowed: ${g.spec.allowedRuntimes.join(', ') || 'none'})`,
                g.id,
                g.mode,
              ),
            ],
      );
    },
  },
  {
    id: 'provider-allowed',
    kinds: ['Agent', 'AgentRun'],
    check(subject, ctx) {
      // An Agent names its provider; a run uses its Agent's.
      const isAgent = subject.kind === 'Agent';
      const provider = isAgent ? (subject.spec as { providerRef?: { name?: string } }).providerRef?.name : ctx.agent?.spec.providerRef.name;
      if (provider === undefined) return [];
      const path = isAgent ? 'spec.providerRef.name' : 'spec.agentRef.name';
      return ctx.guardrails.flatMap((g) =>
        g.spec.allowedProviders === undefined || g.spec.allowedProviders.includes(provider)
          ? []
          : [
              violation(
                this.id,
                path,
                `provider "${provider}"${isAgent ? '' : ` (of Agent "${(subject.spec as RunSpecView).agentRef?.name}")`} is not allowed (allowed: ${g.spec.allowedProviders.join(', ') || 'none'})`,
                g.id,
                g.mode,
              ),
            ],
      );
    },
  },
  {
    id: 'service-account-allowed',
    kinds: ['AgentRun'],
    check(subject, ctx) {
      const spec = subject.spec as RunSpecView;
      const out: Violation[] = [];
      // The Agent's own allowlist; an Agent that lists none allows only `default`.
      const agentAllows = ctx.agent?.spec.security?.allowedServiceAccounts ?? ['default'];
      for (const { account, path } of serviceAccountsOf(spec)) {
        if (!agentAllows.includes(account)) {
          const agent = ctx.agent?.id ?? `Agent ${ctx.namespace}/${spec.agentRef?.name ?? '?'}`;
          out.push(
            violation(
              this.id,
              path,
              `service account "${account}" is not allowed by ${agent} (allowed: ${agentAllows.join(', ')})`,
              agent,
              ctx.baselineMode,
            ),
          );
        }
        for (const g of ctx.guardrails) {
          if (g.spec.allowedServiceAccounts !== undefined && !g.spec.allowedServiceAccounts.includes(account)) {
            out.push(
              violation(
                this.id,
                path,
                `service account "${account}" is not allowed (allowed: ${g.spec.allowedServiceAccounts.join(', ') || 'none'})`,
                g.id,
                g.mode,
              ),
            );
          }
        }
      }
      return out;
    },
  },
  {
    id: 'secrets-allowlist',
    kinds: ['AgentRun'],
    check(subject, ctx) {
      const spec = subject.spec as RunSpecView;
      const agentName = spec.agentRef?.name ?? '';
      const agentId = ctx.agent?.id ?? `Agent ${ctx.namespace}/${agentName}`;
      const agentAllows = ctx.agent?.spec.security?.allowedSecrets ?? [];
      const accounts = serviceAccountsOf(spec).map((a) => a.account);
      // A SecretBinding covers a secret for this run when it lists the secret and names the run's
      // Agent among its subjects, or when bindings name every service account the run names (the
      // runtime may run it as either).
      const grants = (secret: string, subject: (s: { kind: string; name: string }) => boolean) =>
        ctx.secretBindings.some(
          (b) =>
            (b.spec.allowedSecrets ?? []).includes(secret) &&
            (b.spec.subjects ?? []).some((s) => (s.namespace ?? ctx.namespace) === ctx.namespace && subject(s)),
        );
      const bound = (secret: string) =>
        grants(secret, (s) => s.kind === 'Agent' && s.name === agentName) ||
        accounts.every((account) => grants(secret, (s) => s.kind === 'ServiceAccount' && s.name === account));
      const account = accounts.join('" and "');
      return secretsOf(spec).flatMap(({ secret, path }) => {
        if (!agentAllows.includes(secret)) {
          return [violation(this.id, path, `secret "${secret}" is not in the allowedSecrets of ${agentId}`, agentId, ctx.baselineMode)];
        }
        if (!bound(secret)) {
          return [
            violation(
              this.id,
              path,
              `no SecretBinding in namespace "${ctx.namespace}" grants secret "${secret}" to Agent "${agentName}" or service account "${account}"`,
              `SecretBinding ${ctx.namespace}/*`,
              ctx.baselineMode,
            ),
          ];
        }
        return [];
      });
    },
  },
  {
    id: 'image-allowed',
    kinds: ['AgentRun'],
    check(subject, ctx) {
      const images = imagesOf(subject.spec as RunSpecView);
      return ctx.guardrails.flatMap((g) => {
        const patterns = g.spec.allowedImages;
        if (patterns === undefined) return [];
        return images
          .filter(({ image }) => !patterns.some((p) => imageMatches(p, image)))
          .map(({ image, path }) =>
            violation(this.id, path, `image "${image}" matches none of ${patterns.join(', ') || 'no patterns'}`, g.id, g.mode),
          );
      });
    },
  },
];
