import { z } from 'zod';
import { Condition, FreeForm, LocalRef, ResourceName } from '../meta.js';

const SystemPromptRef = z.strictObject({
  kind: z.enum(['Secret', 'ConfigMap']),
  name: ResourceName,
  key: z.string().min(1),
});

export const AgentSpec = z.strictObject({
  providerRef: LocalRef,
  config: FreeForm.optional(),
  defaults: z
    .strictObject({
      retryLimit: z.number().int().min(0).optional(),
      timeoutSeconds: z.number().int().min(1).optional(),
      systemPrompt: z.string().optional(),
      systemPromptRef: SystemPromptRef.optional(),
    })
    .refine((d) => !(d.systemPrompt !== undefined && d.systemPromptRef !== undefined), {
      message: 'set systemPrompt or systemPromptRef, not both',
      path: ['systemPromptRef'],
    })
    .optional(),
  env: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
  memoryRef: LocalRef.optional(),
  vcsRef: LocalRef.optional(),
  security: z
    .strictObject({
      allowedSecrets: z.array(z.string()).optional(),
      allowedServiceAccounts: z.array(z.string()).optional(),
      allowedImplementationSourceProviders: z.array(z.string()).optional(),
    })
    .optional(),
});
export type AgentSpec = z.infer<typeof AgentSpec>;

export const AgentStatus = z.object({
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
