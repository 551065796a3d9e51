import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One run a budget admitted, counted over the budget's trailing period (`policy.budget_charges`, migration 0102). */
export const BudgetCharge = defineEntity({
  name: 'BudgetCharge',
  schema: 'policy',
  tableName: 'budget_charges',
  properties: {
    budget: p.text().primary(),
    requestKey: p.text().primary(),
    chargedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
  },
  indexes: [{ name: 'budget_charges_window', properties: ['budget', 'chargedAt'] }],
});

export type BudgetCharge = InferEntity<typeof BudgetCharge>;
