import { z } from 'zod';
import { Condition } from '../meta.js';
import { InlineImplementation } from './agent-run.js';

/** Phases of an ImplementationSpec: ready to be referenced by runs, or rejected by validation. */
export const ImplementationSpecPhase = z.enum(['Ready', 'Invalid']);
export type ImplementationSpecPhase = z.infer<typeof ImplementationSpecPhase>;

/** Spec of an ImplementationSpec: the same shape as an AgentRun's `implementation.inline` (text required, at most 128 KiB). */
export const ImplementationSpecSpec = InlineImplementation;
export type ImplementationSpecSpec = z.infer<typeof ImplementationSpecSpec>;

/** Status of an ImplementationSpec: when and from which source version it was last synced. */
export const ImplementationSpecStatus = z.object({
  phase: ImplementationSpecPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  syncedAt: z.string().optional(),
  sourceVersion: z.string().optional(),
});
export type ImplementationSpecStatus = z.infer<typeof ImplementationSpecStatus>;
