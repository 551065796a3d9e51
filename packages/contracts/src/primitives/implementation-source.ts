import { z } from 'zod';
import { Condition } from '../meta.js';
import { SecretKeyRef } from './common.js';

/** Phases of an ImplementationSource: syncing, or rejected by validation. */
export const ImplementationSourcePhase = z.enum(['Ready', 'Invalid']);
export type ImplementationSourcePhase = z.infer<typeof ImplementationSourcePhase>;

/** Spec of an ImplementationSource: an issue tracker (GitHub, Linear) that ImplementationSpecs are synced from. */
export const ImplementationSourceSpec = z.strictObject({
  provider: z.enum(['github', 'linear']),
  auth: z.strictObject({ secretRef: SecretKeyRef }),
  webhook: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  scope: z
    .strictObject({
      repository: z.string().min(1).optional(),
      organization: z.string().min(1).optional(),
      team: z.string().min(1).optional(),
      project: z.string().min(1).optional(),
      labels: z.array(z.string()).optional(),
      query: z.string().optional(),
    })
    .optional(),
});
export type ImplementationSourceSpec = z.infer<typeof ImplementationSourceSpec>;

/** Status of an ImplementationSource: the last sync and the last webhook delivery it handled. */
export const ImplementationSourceStatus = z.object({
  phase: ImplementationSourcePhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  lastSyncedAt: z.string().optional(),
  lastWebhook: z
    .looseObject({
      deliveryId: z.string().optional(),
      idempotencyKey: z.string().optional(),
      status: z.string().optional(),
      attempts: z.number().int().min(0).optional(),
    })
    .optional(),
});
export type ImplementationSourceStatus = z.infer<typeof ImplementationSourceStatus>;
