import type { Binding, BindingInput } from './types.js';

/** `workflow`: an Argo Workflow, from a WorkflowTemplate when the run names one. */
export function bindWorkflow(input: BindingInput): Binding {
  const config = input.runtime.config ?? {};
  const template = typeof config.workflowTemplate === 'string' ? config.workflowTemplate : 'jangar-agent-steps';
  return {
    provider: 'argo',
    resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: input.name, namespace: input.namespace },
    config: {
      workflowTemplateRef: { name: template },
      serviceAccountName: typeof config.serviceAccountName === 'string' ? config.serviceAccountName : 'default',
    },
  };
}
