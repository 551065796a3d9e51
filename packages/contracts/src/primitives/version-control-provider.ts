import { z } from 'zod';
import { Condition } from '../meta.js';
import { SecretKeyRef } from './common.js';

/** Phases of a VersionControlProvider: usable by agents and runs, or rejected by validation. */
export const VersionControlProviderPhase = z.enum(['Ready', 'Invalid']);
export type VersionControlProviderPhase = z.infer<typeof VersionControlProviderPhase>;

/** Spec of a VersionControlProvider: the forge runs clone from and push to, how they authenticate, and which repositories they may touch. */
export const VersionControlProviderSpec = z.strictObject({
  provider: z.enum(['github', 'gitlab', 'bitbucket', 'gitea', 'generic']),
  auth: z
    .strictObject({
      method: z.enum(['token', 'app', 'ssh', 'none']).optional(),
      secretRef: SecretKeyRef.optional(),
    })
    .optional(),
  repositoryPolicy: z
    .strictObject({
      allow: z.array(z.string().min(1)).max(200).optional(),
      deny: z.array(z.string().min(1)).max(200).optional(),
    })
    .optional(),
});
export type VersionControlProviderSpec = z.infer<typeof VersionControlProviderSpec>;

/** Status of a VersionControlProvider as its controller reports it. */
export const VersionControlProviderStatus = z.object({
  phase: VersionControlProviderPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  lastValidatedAt: z.string().optional(),
});
export type VersionControlProviderStatus = z.infer<typeof VersionControlProviderStatus>;
