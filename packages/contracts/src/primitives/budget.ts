import { z } from 'zod';
import { Condition } from '../meta.js';
import { DecimalAmount, PolicySubject, Quantity } from './common.js';

/** Phases of a Budget: within its limits, over one of them, or rejected by validation. */
export const BudgetPhase = z.enum(['Ready', 'Exceeded', 'Invalid']);
export type BudgetPhase = z.infer<typeof BudgetPhase>;

/**
 * Amounts a Budget counts: resource quantities (cpu `500m`, memory `2Gi`, gpu, tokens `2M`),
 * dollars as a decimal, and runs started per period as a count.
 */
export const BudgetAmounts = z.strictObject({
  cpu: Quantity.optional(),
  memory: Quantity.optional(),
  gpu: Quantity.optional(),
  tokens: Quantity.optional(),
  dollars: DecimalAmount.optional(),
  runs: z.number().int().min(0).optional(),
});
export type BudgetAmounts = z.infer<typeof BudgetAmounts>;

/** A period as a count and a unit: `30m`, `24h`, `7d`. */
export const BudgetPeriod = z.string().regex(/^[1-9][0-9]{0,4}(m|h|d)$/, { message: 'must be a period such as 30m, 24h or 7d' });

/**
 * Spec of a Budget: the limits runs in its namespace are held to — all runs, or those of the
 * Agents among its `subjects`. `runs` counts the runs started in the trailing `period`; `cpu`,
 * `memory` and `gpu` hold the active runs to what they request together (as a ResourceQuota
 * does); `tokens` and `dollars` are compared with `status.used` as the runtime reports it.
 */
export const BudgetSpec = z.strictObject({
  limits: BudgetAmounts.optional(),
  period: BudgetPeriod.default('24h'),
  subjects: z.array(PolicySubject).optional(),
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
