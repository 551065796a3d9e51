import { z } from 'zod';
import { Condition, FreeForm, LocalRef } from '../meta.js';
import { RunPhase, RunProviderStatus, RunRetryStatus } from './agent-run.js';

export const OrchestrationRunSpec = z.strictObject({
  orchestrationRef: LocalRef,
  parameters: z.record(z.string(), z.string()).optional(),
  deliveryId: z.string().optional(),
});
export type OrchestrationRunSpec = z.infer<typeof OrchestrationRunSpec>;

export const OrchestrationRunStatus = z.object({
  phase: RunPhase.optional(),
  runId: z.string().optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  updatedAt: z.string().optional(),
  stepStatuses: z
    .array(
      z.object({
        name: z.string(),
        kind: z.string().optional(),
        phase: z.string().optional(),
        attempt: z.number().int().optional(),
        startedAt: z.string().optional(),
        finishedAt: z.string().optional(),
        resourceRef: FreeForm.optional(),
        outputs: FreeForm.optional(),
      }),
    )
    .optional(),
  provider: RunProviderStatus.optional(),
  retry: RunRetryStatus.optional(),
});
