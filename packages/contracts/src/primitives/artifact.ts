import { z } from 'zod';
import { Condition, LocalRef } from '../meta.js';

/** Phases of an Artifact: being stored, stored, failed, or past its lifetime. */
export const ArtifactPhase = z.enum(['Pending', 'Ready', 'Failed', 'Expired']);
export type ArtifactPhase = z.infer<typeof ArtifactPhase>;

/** Spec of an Artifact: where a run output is stored and how many days it is kept. */
export const ArtifactSpec = z.strictObject({
  storageRef: LocalRef.optional(),
  lifecycle: z.strictObject({ ttlDays: z.number().int().min(1).optional() }).optional(),
});
export type ArtifactSpec = z.infer<typeof ArtifactSpec>;

/** Status of an Artifact: where it can be fetched and its checksum. */
export const ArtifactStatus = z.object({
  phase: ArtifactPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  uri: z.string().optional(),
  checksum: z.string().optional(),
});
export type ArtifactStatus = z.infer<typeof ArtifactStatus>;
