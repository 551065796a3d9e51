import { z } from 'zod';
import { defineProvider } from './types.js';

/**
 * `temporal`: a Temporal workflow execution; there is no Kubernetes resource to watch. The workflow
 * id ends in the run's Jangar id: a run deleted and created again under its name must not be told
 * the status of the execution its predecessor left behind under the same id.
 */
export const temporalProvider = defineProvider({
  config: z.object({
    namespace: z.string().min(1).default('default'),
    taskQueue: z.string().min(1),
    workflowType: z.string().min(1),
  }),
  bind: (input, config) => ({
    provider: 'temporal',
    config: { ...config, workflowId: `${input.namespace}.${input.name}.${input.id}` },
  }),
});
