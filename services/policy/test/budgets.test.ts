import { describe, expect, it } from 'vitest';
import { BudgetSpec } from '@jangar/contracts';
import {
  formatQuantity,
  parseQuantity,
  periodMs,
  requestedResources,
  resourceBudgets,
  runBudgets,
  spentBudgets,
  usageStatus,
} from '../src/budgets.js';
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

  it('leave cpu, memory and gpu to admission: a reported use of them denies nothing', () => {
    expect(spentBudgets(ctx([budget({ limits: { cpu: '2', gpu: '1' } }, { cpu: '2', gpu: '1' })]))).toEqual([]);
  });

  it("read what a run requests from its workload's requests, a limit standing in for a missing request", () => {
    const spec = { workload: { resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', 'nvidia.com/gpu': '1' } } } };
    expect(requestedResources(spec)).toEqual({ cpu: 0.5, memory: 2 ** 30, gpu: 1 });
    expect(requestedResources({})).toEqual({ cpu: 0, memory: 0, gpu: 0 });
    expect(requestedResources({ workload: { resources: { requests: { cpu: 'lots' } } } })).toEqual({ cpu: 0, memory: 0, gpu: 0 });
  });

  it('take the largest step of a workflow, whose steps run one at a time', () => {
    const step = (cpu: string) => ({ name: cpu, workload: { resources: { requests: { cpu } } } });
    expect(requestedResources({ workflow: { steps: [step('1'), step('3'), step('250m')] } }).cpu).toBe(3);
  });

  it('write resources back as quantities', () => {
    expect([
      formatQuantity('cpu', 2),
      formatQuantity('cpu', 1.5),
      formatQuantity('memory', 3 * 2 ** 30),
      formatQuantity('memory', 1000),
    ]).toEqual(['2', '1500m', '3Gi', '1000']);
    expect(usageStatus({ runs: 2, cpu: 0.25, gpu: 1 })).toEqual({ runs: 2, cpu: '250m', gpu: '1' });
  });

  it('hold active runs to resource limits for all runs of the namespace, or those of the Agents it names', () => {
    const limited = budget({ limits: { cpu: '4', memory: '8Gi', tokens: '1M' }, subjects: [{ kind: 'Agent', name: 'coder' }] });
    expect(resourceBudgets(ctx([limited, budget({ limits: { runs: 3 } })]))).toEqual([
      { key: 'Budget team-a/monthly', agents: ['coder'], limits: { cpu: 4, memory: 8 * 2 ** 30 } },
    ]);
    expect(resourceBudgets(ctx([budget({ limits: { gpu: '2' } })]))[0]?.agents).toBeUndefined();
  });

  it('count runs per period only for budgets that limit runs', () => {
    expect(runBudgets(ctx([budget({ limits: { runs: 3 }, period: '1h' }), budget({ limits: { dollars: '5' } })]))).toEqual([
      { key: 'Budget team-a/monthly', limit: 3, periodMs: 3_600_000 },
    ]);
  });
});
