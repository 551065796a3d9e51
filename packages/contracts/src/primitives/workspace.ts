import { z } from 'zod';
import { Condition, ResourceName } from '../meta.js';
import { Quantity } from './common.js';

/** Phases of a Workspace: its PVC bound, still pending, failed, or deleted after ttlSeconds. */
export const WorkspacePhase = z.enum(['Ready', 'Pending', 'Failed', 'Expired']);
export type WorkspacePhase = z.infer<typeof WorkspacePhase>;

/** PersistentVolumeClaim access modes. */
export const AccessMode = z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']);
export type AccessMode = z.infer<typeof AccessMode>;

/** Spec of a Workspace: the PersistentVolumeClaim it creates for runs to share, and how long it lives. */
export const WorkspaceSpec = z.strictObject({
  size: Quantity.optional(),
  accessModes: z.array(AccessMode).min(1).optional(),
  storageClassName: ResourceName.optional(),
  ttlSeconds: z.number().int().min(1).optional(),
});
export type WorkspaceSpec = z.infer<typeof WorkspaceSpec>;

/** Status of a Workspace: the phase of its claim and the claim's volume. */
export const WorkspaceStatus = z.object({
  phase: WorkspacePhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  volumeName: z.string().optional(),
});
export type WorkspaceStatus = z.infer<typeof WorkspaceStatus>;
