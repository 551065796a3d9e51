import { z } from 'zod';

/**
 * A provider binding: what a provider-agnostic run becomes on a concrete runtime. It is recorded
 * on the custom resource, so the status aggregator knows which provider resource to watch.
 */
export const Binding = z.object({
  provider: z.enum(['job', 'argo', 'temporal', 'custom']),
  resource: z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), namespace: z.string() }).optional(),
  config: z.record(z.string(), z.unknown()),
});
export type Binding = z.infer<typeof Binding>;

/** What a binding function receives: the run's identity and its runtime section. */
export interface BindingInput {
  name: string;
  namespace: string;
  runtime: { type: string; config?: Record<string, unknown> | undefined };
}

/**
 * One provider: the schema of the `runtime.config` it understands and the pure function that binds
 * a run with a valid config. Adding a provider is one module exporting one of these.
 */
export interface Provider<C extends z.ZodType> {
  readonly config: C;
  bind(input: BindingInput, config: z.infer<C>): Binding;
}

/** Declares a provider, keeping its config type tied to its schema. */
export function defineProvider<C extends z.ZodType>(provider: Provider<C>): Provider<C> {
  return provider;
}
