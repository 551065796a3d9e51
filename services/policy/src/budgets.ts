import type { BudgetAmounts, Violation } from '@jangar/contracts';
import type { DecisionContext } from './context.js';

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

const AMOUNTS = ['tokens', 'dollars', 'cpu', 'memory', 'gpu'] as const;

/**
 * Budgets spent on an amount the runtime reports (tokens, dollars, cpu, memory, gpu): a run may not
 * start while `status.used` has reached a limit. Runs per period are counted at admission instead.
 */
export function spentBudgets(ctx: DecisionContext): Violation[] {
  return ctx.budgets.flatMap((b) =>
    AMOUNTS.flatMap((amount) => {
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

/** A budget refused at admission, as a violation with the figures. */
export function runBudgetViolation(ctx: DecisionContext, refusal: { key: string; used: number; limit: number }): Violation {
  const period = ctx.budgets.find((b) => b.id === refusal.key)?.spec.period ?? '';
  return {
    ruleId: 'budget-exceeded',
    path: 'spec.agentRef.name',
    reason: `${refusal.key} allows ${refusal.limit} runs per ${period}; ${refusal.used} have started`,
    policy: refusal.key,
    mode: ctx.baselineMode,
  };
}

export type { BudgetAmounts };
