import { z } from 'zod';
import { Condition } from '../meta.js';
import { DecimalAmount, Quantity } from './common.js';

/** Phases of a Budget: within its limits, over one of them, or rejected by validation. */
export const BudgetPhase = z.enum(['Ready', 'Exceeded', 'Invalid']);
export type BudgetPhase = z.infer<typeof BudgetPhase>;

/** Amounts a Budget counts: resource quantities (cpu `500m`, memory `2Gi`, gpu, tokens `2M`) and dollars as a decimal. */
export const BudgetAmounts = z.strictObject({
  cpu: Quantity.optional(),
  memory: Quantity.optional(),
  gpu: Quantity.optional(),
  tokens: Quantity.optional(),
  dollars: DecimalAmount.optional(),
});
export type BudgetAmounts = z.infer<typeof BudgetAmounts>;

/** Spec of a Budget: the limits validatePolicies holds runs to. */
export const BudgetSpec = z.strictObject({
  limits: BudgetAmounts.optional(),
});
export type BudgetSpec = z.infer<typeof BudgetSpec>;

/** Status of a Budget: what has been used, with the same keys as the limits. */
export const BudgetStatus = z.object({
  phase: BudgetPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  used: BudgetAmounts.optional(),
});
export type BudgetStatus = z.infer<typeof BudgetStatus>;
