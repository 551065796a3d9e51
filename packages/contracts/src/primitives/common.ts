import { z } from 'zod';
import { NamespaceName, ResourceName } from '../meta.js';

/** A key of a Secret in the resource's namespace; without `key`, the consumer's default key. */
export const SecretKeyRef = z.strictObject({ name: ResourceName, key: z.string().min(1).optional() });
export type SecretKeyRef = z.infer<typeof SecretKeyRef>;

/** A Kubernetes kind name as written in `kind:` (`Agent`, `ServiceAccount`). */
export const KubeKindName = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { message: 'must be a Kubernetes kind (CamelCase, e.g. Agent)' });

/** The object a policy applies to: a kind and name, in the policy's namespace unless one is given. */
export const PolicySubject = z.strictObject({
  kind: KubeKindName,
  name: ResourceName,
  namespace: NamespaceName.optional(),
});
export type PolicySubject = z.infer<typeof PolicySubject>;

/** A Kubernetes resource quantity without sign (`500m`, `2Gi`, `1.5`, `1e3`), as the API server parses it. */
export const Quantity = z
  .string()
  .regex(/^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/, {
    message: 'must be a Kubernetes quantity such as 500m, 2Gi or 1.5',
  });

/** A non-negative decimal amount (`12`, `12.50`). */
export const DecimalAmount = z.string().regex(/^[0-9]+(\.[0-9]+)?$/, { message: 'must be a non-negative decimal such as 12 or 12.50' });

/** An environment variable with a literal value. */
export const EnvVar = z.strictObject({ name: z.string().min(1), value: z.string() });
