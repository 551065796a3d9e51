import { z } from 'zod';
import { Condition, ResourceName } from '../meta.js';
import { PolicySubject } from './common.js';

/** Phases of a SecretBinding: Ready only when it lists both secrets and subjects. */
export const SecretBindingPhase = z.enum(['Ready', 'Invalid']);
export type SecretBindingPhase = z.infer<typeof SecretBindingPhase>;

/** Spec of a SecretBinding: the Secrets its subjects may mount into runs. */
export const SecretBindingSpec = z.strictObject({
  allowedSecrets: z.array(ResourceName).optional(),
  subjects: z.array(PolicySubject).optional(),
});
export type SecretBindingSpec = z.infer<typeof SecretBindingSpec>;

/** Status of a SecretBinding as its controller reports it. */
export const SecretBindingStatus = z.object({
  phase: SecretBindingPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
export type SecretBindingStatus = z.infer<typeof SecretBindingStatus>;
