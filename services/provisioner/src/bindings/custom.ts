import type { Binding, BindingInput } from './types.js';

/** `custom`: the run is POSTed to the endpoint the run names. */
export function bindCustom(input: BindingInput): Binding {
  return { provider: 'custom', config: { endpoint: input.runtime.config?.endpoint } };
}
