import { z } from 'zod';
import { Condition, FreeForm } from '../meta.js';

/** Phases of a Signal: it only ever becomes Active. */
export const SignalPhase = z.enum(['Active']);
export type SignalPhase = z.infer<typeof SignalPhase>;

/** Spec of a Signal: a named channel that SignalWait steps wait on and SignalDeliveries fire. */
export const SignalSpec = z.strictObject({
  channel: z.string().min(1).optional(),
  description: z.string().optional(),
  payload: FreeForm.optional(),
});
export type SignalSpec = z.infer<typeof SignalSpec>;

/** Status of a Signal as its controller reports it. */
export const SignalStatus = z.object({
  phase: SignalPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
export type SignalStatus = z.infer<typeof SignalStatus>;
