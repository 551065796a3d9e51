import { z } from 'zod';
import { Condition, ResourceName } from '../meta.js';
import { EnvVar } from './common.js';

/** Phases of a Tool: runnable, or rejected by validation. */
export const ToolPhase = z.enum(['Ready', 'Invalid']);
export type ToolPhase = z.infer<typeof ToolPhase>;

/** Spec of a Tool: a container command that ToolRuns and orchestration steps execute. */
export const ToolSpec = z.strictObject({
  image: z.string().min(1).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(EnvVar).optional(),
  serviceAccount: ResourceName.optional(),
  workingDir: z.string().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
});
export type ToolSpec = z.infer<typeof ToolSpec>;

/** Status of a Tool as its controller reports it. */
export const ToolStatus = z.object({
  phase: ToolPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
export type ToolStatus = z.infer<typeof ToolStatus>;
