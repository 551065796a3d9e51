import type { Binding, BindingInput } from './types.js';

/** `temporal`: a Temporal workflow execution; there is no Kubernetes resource to watch. */
export function bindTemporal(input: BindingInput): Binding {
  const config = input.runtime.config ?? {};
  return {
    provider: 'temporal',
    config: {
      namespace: typeof config.namespace === 'string' ? config.namespace : 'default',
      taskQueue: config.taskQueue,
      workflowType: config.workflowType,
      workflowId: `${input.namespace}.${input.name}`,
    },
  };
}
