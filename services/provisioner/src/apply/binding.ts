import type { DomainErrorPayload } from '@jangar/contracts';
import { bindRuntime, type Binding } from '../bindings/index.js';

/**
 * The provider binding of a run spec: what its runtime type becomes on a concrete provider. Kinds
 * without a runtime bind nothing; a runtime no provider binds, or a config its provider refuses, is
 * a 400 naming the field.
 */
export function bindingOf(
  kind: string,
  run: { name: string; namespace: string; id: string },
  spec: unknown,
): { binding: Binding | undefined } | { error: DomainErrorPayload } {
  if (kind !== 'AgentRun') return { binding: undefined };
  const runtime = (spec as { runtime?: { type: string; config?: Record<string, unknown> } }).runtime;
  const bound = bindRuntime({ ...run, runtime: runtime ?? { type: '' } });
  if ('binding' in bound) return { binding: bound.binding };
  if ('errors' in bound) {
    return {
      error: { code: 'validation_failed', detail: `the ${runtime?.type} provider refuses this runtime config`, errors: bound.errors },
    };
  }
  return {
    error: {
      code: 'validation_failed',
      detail: 'no provider binds this runtime type',
      errors: [{ path: 'spec.runtime.type', message: 'unknown runtime type' }],
    },
  };
}
