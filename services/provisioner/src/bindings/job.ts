import type { Binding, BindingInput } from './types.js';

/** `job`: one Kubernetes Job per run, named after the run. */
export function bindJob(input: BindingInput): Binding {
  const config = input.runtime.config ?? {};
  return {
    provider: 'job',
    resource: { apiVersion: 'batch/v1', kind: 'Job', name: input.name, namespace: input.namespace },
    config: {
      backoffLimit: typeof config.backoffLimit === 'number' ? config.backoffLimit : 0,
      ttlSecondsAfterFinished: typeof config.ttlSecondsAfterFinished === 'number' ? config.ttlSecondsAfterFinished : 3600,
    },
  };
}
