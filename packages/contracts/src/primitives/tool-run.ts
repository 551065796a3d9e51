import { z } from 'zod';
import { Condition, FreeForm, LocalRef } from '../meta.js';
import { RunPhase, Runtime } from './agent-run.js';

/** Spec of a ToolRun: one execution of a Tool with string parameters, optionally on a chosen runtime. */
export const ToolRunSpec = z.strictObject({
  toolRef: LocalRef,
  parameters: z.record(z.string(), z.string()).optional(),
  deliveryId: z.string().min(1).max(255).optional(),
  runtime: Runtime.optional(),
});
export type ToolRunSpec = z.infer<typeof ToolRunSpec>;

/** Status of a ToolRun: the run phases of AgentRun, the runtime's run id and reference, and its start and finish. */
export const ToolRunStatus = z.object({
  phase: RunPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  runId: z.string().optional(),
  runtimeRef: FreeForm.optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type ToolRunStatus = z.infer<typeof ToolRunStatus>;
