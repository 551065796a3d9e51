import { describe, expect, it } from 'vitest';
import { BudgetSpec } from '@jangar/contracts';
import { parseQuantity, periodMs, runBudgets, spentBudgets } from '../src/budgets.js';
import type { DecisionContext } from '../src/context.js';

const ctx = (budgets: DecisionContext['budgets']): DecisionContext => ({
  namespace: 'team-a',
  baselineMode: 'enforce',
  guardrails: [],
  agent: undefined,
  secretBindings: [],
  budgets,
  approvalPolicies: [],
});
const budget = (spec: object, used?: object) => ({
  id: 'Budget team-a/monthly',
  version: '1',
  spec: BudgetSpec.parse(spec),
  used: used as never,
});

describe('budgets', () => {
  it.each([
    ['500m', 0.5],
    ['2Gi', 2 * 2 ** 30],
    ['2M', 2e6],
    ['1.5', 1.5],
    ['1e3', 1000],
    ['12.50', 12.5],
  ])('read the quantity %s as %d', (q, value) => {
    expect(parseQuantity(q)).toBeCloseTo(value);
  });

  it('read periods in minutes, hours and days', () => {
    expect([periodMs('30m'), periodMs('24h'), periodMs('7d')]).toEqual([1_800_000, 86_400_000, 604_800_000]);
  });

  it('deny a run once the runtime reports an amount used up to its limit, naming the figures', () => {
    expect(spentBudgets(ctx([budget({ limits: { tokens: '1M' } }, { tokens: '900k' })]))).toEqual([]);
    expect(spentBudgets(ctx([budget({ limits: { tokens: '1M', dollars: '25' } }, { tokens: '1000k', dollars: '3.10' })]))).toEqual([
      {
        ruleId: 'budget-exceeded',
        path: 'spec.agentRef.name',
        reason: 'Budget team-a/monthly has used 1000k of 1M tokens',
        policy: 'Budget team-a/monthly',
        mode: 'enforce',
      },
    ]);
  });

  it('count runs per period only for budgets that limit runs', () => {
    expect(runBudgets(ctx([budget({ limits: { runs: 3 }, period: '1h' }), budget({ limits: { dollars: '5' } })]))).toEqual([
      { key: 'Budget team-a/monthly', limit: 3, periodMs: 3_600_000 },
    ]);
  });
});
