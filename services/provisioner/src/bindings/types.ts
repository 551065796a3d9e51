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
