import type { BudgetAmounts, BudgetSpec, Violation } from '@jangar/contracts';
import type { DecisionContext } from './context.js';
import type { BudgetUsage, MeteredBudget, RunBudget, SpentBudget } from './slots/store.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The value of a Kubernetes quantity (`500m` → 0.5, `2Gi` → 2147483648, `1e3` → 1000); NaN when it is none. */
export function parseQuantity(q: string): number {
  const m = /^([0-9.]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/.exec(q.trim());
  if (!m) return NaN;
  const [, digits, suffix = ''] = m;
  const value = Number(digits);
  if (/^[eE]/.test(suffix)) return value * 10 ** Number(suffix.slice(1));
  return value * (BINARY[suffix] ?? DECIMAL[suffix] ?? NaN);
}

/** A budget period in milliseconds (`30m`, `24h`, `7d`). */
export function periodMs(period: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(period);
  if (!m) throw new Error(`not a budget period: ${period}`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

// What the runtime reports; runs and the resources runs request are metered by admission instead.
const REPORTED = ['tokens', 'dollars'] as const;

/** Resources a run requests, which a Budget's cpu, memory and gpu limits hold the active runs to. */
export const RESOURCES = ['cpu', 'memory', 'gpu'] as const;
export type Resource = (typeof RESOURCES)[number];
export type ResourceAmounts = Record<Resource, number>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One container-style `resources` block's requests (a limit stands for a missing request, as in Kubernetes). */
function requestsOf(resources: unknown): ResourceAmounts {
  const out: ResourceAmounts = { cpu: 0, memory: 0, gpu: 0 };
  if (!isRecord(resources)) return out;
  const requests = isRecord(resources.requests) ? resources.requests : {};
  const limits = isRecord(resources.limits) ? resources.limits : {};
  const amount = (key: (k: string) => boolean): number => {
    for (const source of [requests, limits]) {
      const found = Object.entries(source).find(([k]) => key(k));
      if (found) {
        const value = parseQuantity(String(found[1]));
        return Number.isFinite(value) ? value : 0;
      }
    }
    return 0;
  };
  out.cpu = amount((k) => k === 'cpu');
  out.memory = amount((k) => k === 'memory');
  // `nvidia.com/gpu`, `amd.com/gpu`, or plain `gpu`.
  out.gpu = amount((k) => k === 'gpu' || k.endsWith('/gpu'));
  return out;
}

/**
 * What a run requests while it is active: its workload's resources, or — for a workflow, whose
 * steps run one at a time — the most any one step asks for.
 */
export function requestedResources(spec: unknown): ResourceAmounts {
  const s = isRecord(spec) ? spec : {};
  const blocks = [isRecord(s.workload) ? s.workload.resources : undefined];
  const workflow = isRecord(s.workflow) && Array.isArray(s.workflow.steps) ? s.workflow.steps : [];
  for (const step of workflow) if (isRecord(step) && isRecord(step.workload)) blocks.push(step.workload.resources);
  const out: ResourceAmounts = { cpu: 0, memory: 0, gpu: 0 };
  for (const amounts of blocks.map(requestsOf)) for (const r of RESOURCES) out[r] = Math.max(out[r], amounts[r]);
  return out;
}

/** An amount as a Kubernetes quantity: cpu in cores or millicores (`1500m`), memory in bytes or binary units (`3Gi`), gpu as a count. */
export function formatQuantity(resource: Resource, value: number): string {
  if (resource === 'cpu') return Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
  if (resource === 'memory') {
    for (const [suffix, unit] of [
      ['Gi', 2 ** 30],
      ['Mi', 2 ** 20],
      ['Ki', 2 ** 10],
    ] as const) {
      if (value >= unit && value % unit === 0) return `${value / unit}${suffix}`;
    }
  }
  return String(Math.round(value * 1000) / 1000);
}

/** A Budget that holds active runs to cpu, memory or gpu: its key, which runs it counts (all of the namespace's, or its Agents'), and its limits. */
export interface ResourceBudget {
  key: string;
  agents: string[] | undefined;
  limits: Partial<ResourceAmounts>;
}

/** A Budget's resource limits and the runs they count, or undefined when it limits no resource. */
export function resourceBudgetOf(b: { id: string; spec: BudgetSpec }): ResourceBudget | undefined {
  const limits: Partial<ResourceAmounts> = {};
  for (const r of RESOURCES) {
    const limit = b.spec.limits?.[r];
    if (limit !== undefined) limits[r] = parseQuantity(limit);
  }
  if (Object.keys(limits).length === 0) return undefined;
  const agents = b.spec.subjects?.length ? b.spec.subjects.filter((s) => s.kind === 'Agent').map((s) => s.name) : undefined;
  return { key: b.id, agents, limits };
}

/** A Budget that counts runs, without its limit: its key and trailing period. */
export type RunPeriod = Pick<RunBudget, 'key' | 'periodMs'>;

/** What a Budget meters from admissions — runs per period, resources of active runs — or undefined when it meters neither. */
export function meteredBudgetOf(b: { id: string; namespace: string; spec: BudgetSpec }): MeteredBudget | undefined {
  const runs = b.spec.limits?.runs === undefined ? undefined : { periodMs: periodMs(b.spec.period) };
  const resources = resourceBudgetOf(b);
  return runs || resources ? { key: b.id, namespace: b.namespace, runs, resources } : undefined;
}

/** The Budgets of a run's context that limit resources, as the slot store checks them. */
export function resourceBudgets(ctx: DecisionContext): ResourceBudget[] {
  return ctx.budgets.flatMap((b) => resourceBudgetOf(b) ?? []);
}

/** A budget's usage as `Budget.status.used` says it: counts as numbers, resources as quantities. */
export function usageStatus(used: BudgetUsage): BudgetAmounts {
  const out: BudgetAmounts = {};
  if (used.runs !== undefined) out.runs = used.runs;
  for (const r of RESOURCES) {
    const value = used[r];
    if (value !== undefined) out[r] = formatQuantity(r, value);
  }
  return out;
}

/**
 * Budgets spent on an amount the runtime reports (tokens, dollars): a run may not start while
 * `status.used` has reached a limit. Runs per period, and the resources active runs request,
 * are counted at admission instead.
 */
export function spentBudgets(ctx: DecisionContext): Violation[] {
  return ctx.budgets.flatMap((b) =>
    REPORTED.flatMap((amount) => {
      const limit = b.spec.limits?.[amount];
      const used = b.used?.[amount];
      if (limit === undefined || used === undefined) return [];
      if (parseQuantity(String(used)) < parseQuantity(String(limit))) return [];
      return [
        {
          ruleId: 'budget-exceeded',
          path: 'spec.agentRef.name',
          reason: `${b.id} has used ${used} of ${limit} ${amount}`,
          policy: b.id,
          mode: ctx.baselineMode,
        },
      ];
    }),
  );
}

/** Budgets that count runs, as the slot store charges them: key, limit and window. */
export function runBudgets(ctx: DecisionContext): Array<{ key: string; limit: number; periodMs: number }> {
  return ctx.budgets.flatMap((b) =>
    b.spec.limits?.runs === undefined ? [] : [{ key: b.id, limit: b.spec.limits.runs, periodMs: periodMs(b.spec.period) }],
  );
}

/** A budget refused at admission, as a violation with the figures: runs started in its period, or resources its active runs request. */
export function runBudgetViolation(ctx: DecisionContext, refusal: SpentBudget): Violation {
  const period = ctx.budgets.find((b) => b.id === refusal.key)?.spec.period ?? '';
  const resource = refusal.amount;
  const reason =
    resource === 'runs'
      ? `${refusal.key} allows ${refusal.limit} runs per ${period}; ${refusal.used} have started`
      : `${refusal.key} allows ${formatQuantity(resource, refusal.limit)} ${resource} for active runs; ` +
        `they request ${formatQuantity(resource, refusal.used)} and this run asks for ${formatQuantity(resource, refusal.asks ?? 0)}`;
  return {
    ruleId: 'budget-exceeded',
    path: resource === 'runs' ? 'spec.agentRef.name' : `spec.workload.resources.requests.${resource}`,
    reason,
    policy: refusal.key,
    mode: ctx.baselineMode,
  };
}

export type { BudgetAmounts };
