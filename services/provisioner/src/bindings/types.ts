import { createHash } from 'node:crypto';
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
  /** The run's Jangar id, unique to this run even when a later run reuses its name. */
  id: string;
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

/** The longest name a provider object can have: its pods carry it as a label value (`job-name`, `workflows.argoproj.io/workflow`). */
const PROVIDER_NAME_MAX = 63;

/**
 * The name of the provider object (a Job, a Workflow) a run becomes: the run's own name when it
 * fits a label value, else its first characters and a hash of the whole name, so that a run may
 * use the 253 characters Kubernetes allows it and its Job can still be created.
 */
export function providerObjectName(runName: string): string {
  if (runName.length <= PROVIDER_NAME_MAX) return runName;
  const hash = createHash('sha256').update(runName).digest('hex').slice(0, 10);
  // A label value must end with a letter or digit, so the cut drops a trailing '-' or '.'.
  const prefix = runName.slice(0, PROVIDER_NAME_MAX - hash.length - 1).replace(/[-.]+$/, '');
  return `${prefix}-${hash}`;
}
