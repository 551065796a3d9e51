import type { RuntimeType } from '@jangar/contracts';
import { bindCustom } from './custom.js';
import { bindJob } from './job.js';
import { bindTemporal } from './temporal.js';
import type { Binding, BindingInput } from './types.js';
import { bindWorkflow } from './workflow.js';

/** One binding function per runtime type; adding a provider adds one module and one entry. */
export const BINDERS: Record<RuntimeType, (input: BindingInput) => Binding> = {
  job: bindJob,
  workflow: bindWorkflow,
  temporal: bindTemporal,
  custom: bindCustom,
};

/** The binding for a run, or undefined for a runtime type nobody binds. */
export function bindRuntime(input: BindingInput): Binding | undefined {
  const binder = BINDERS[input.runtime.type as RuntimeType] as ((i: BindingInput) => Binding) | undefined;
  return binder?.(input);
}

export type { Binding, BindingInput };
