import { z } from 'zod';
import { ResourceName } from '@jangar/contracts';
import { defineProvider, providerObjectName } from './types.js';

/** `workflow`: an Argo Workflow, from a WorkflowTemplate when the run names one. */
export const workflowProvider = defineProvider({
  config: z.object({
    workflowTemplate: ResourceName.default('jangar-agent-steps'),
    serviceAccountName: ResourceName.default('default'),
  }),
  bind: (input, config) => ({
    provider: 'argo',
    resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: providerObjectName(input.name), namespace: input.namespace },
    config: { workflowTemplateRef: { name: config.workflowTemplate }, serviceAccountName: config.serviceAccountName },
  }),
});
