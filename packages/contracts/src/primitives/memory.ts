import { z } from 'zod';
import { Condition, ResourceName } from '../meta.js';

export const MemorySpec = z.strictObject({
  type: z.enum(['postgres', 'redis', 'weaviate', 'pinecone', 'custom']),
  connection: z.strictObject({ secretRef: z.strictObject({ name: ResourceName, key: z.string().optional() }) }),
  default: z.boolean().optional(),
  capabilities: z.array(z.string()).optional(),
});
export type MemorySpec = z.infer<typeof MemorySpec>;

export const MemoryStatus = z.object({
  conditions: z.array(Condition).optional(),
  lastCheckedAt: z.string().optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
