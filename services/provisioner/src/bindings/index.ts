import type { ZodType } from 'zod';
import { fieldErrorsFromZod, type FieldError, type RuntimeType } from '@jangar/contracts';
import { customProvider } from './custom.js';
import { jobProvider } from './job.js';
import { temporalProvider } from './temporal.js';
import type { Binding, BindingInput, Provider } from './types.js';
import { workflowProvider } from './workflow.js';

/** One provider per runtime type; adding a provider adds one module and one entry. */
export const PROVIDERS: Record<RuntimeType, Provider<ZodType>> = {
  job: jobProvider,
  workflow: workflowProvider,
  temporal: temporalProvider,
  custom: customProvider,
};

/**
 * The binding for a run: `unknown` for a runtime type no provider binds, the failing config fields
 * (as `spec.runtime.config.<field>` paths) when the provider refuses its config.
 */
export function bindRuntime(input: BindingInput): { binding: Binding } | { unknown: true } | { errors: FieldError[] } {
  const provider = (PROVIDERS as Record<string, Provider<ZodType> | undefined>)[input.runtime.type];
  if (!provider) return { unknown: true };
  const config = provider.config.safeParse(input.runtime.config ?? {});
  if (!config.success) return { errors: fieldErrorsFromZod(config.error, ['spec', 'runtime', 'config']) };
  return { binding: provider.bind(input, config.data) };
}

export type { Binding, BindingInput };
