import { z } from 'zod';
import { defineProvider, providerObjectName } from './types.js';

/** `job`: one Kubernetes Job per run, named after the run ({@link providerObjectName}). */
export const jobProvider = defineProvider({
  config: z.object({
    backoffLimit: z.number().int().min(0).default(0),
    ttlSecondsAfterFinished: z.number().int().min(0).default(3600),
  }),
  bind: (input, config) => ({
    provider: 'job',
    resource: { apiVersion: 'batch/v1', kind: 'Job', name: providerObjectName(input.name), namespace: input.namespace },
    config,
  }),
});
