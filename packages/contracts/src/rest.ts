import { z } from 'zod';
import { LabelKey, Labels, LabelValue, NamespaceName, ObjectMeta, ResourceName } from './meta.js';
import type { KindDefinition } from './kinds.js';

/** Allowed form of an idempotency key. */
export const DeliveryId = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._:-]+$/, { message: 'must be 1-255 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-"' });

/** The correlation id a request carries (body `correlationId` or `X-Correlation-Id`), and that `GET /v1/correlations/{id}` looks up. */
export const CorrelationId = z.string().min(1).max(255);

export const DEFAULT_NAMESPACE = 'jangar';

export const CreateMetadata = z.strictObject({
  namespace: NamespaceName.default(DEFAULT_NAMESPACE),
  name: ResourceName.optional(),
  labels: Labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type CreateMetadata = z.infer<typeof CreateMetadata>;

/** Body of `POST /v1/<kind>` for a kind whose spec schema is `spec`. */
export function createBodyFor<S extends z.ZodType>(spec: S) {
  return z.strictObject({
    deliveryId: DeliveryId.optional(),
    correlationId: CorrelationId.optional(),
    metadata: CreateMetadata.default({ namespace: DEFAULT_NAMESPACE }),
    spec,
  });
}

/** The create body for any registered kind. */
export function createBodyOf(kind: KindDefinition) {
  return createBodyFor(kind.spec);
}

/** Metadata of `PUT /v1/<kind>/{namespace}/{name}`: the labels and annotations it sets, and the version it replaces. */
export const UpdateMetadata = z.strictObject({
  namespace: NamespaceName.optional(),
  name: ResourceName.optional(),
  labels: Labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  resourceVersion: z
    .string({ error: 'required: the resourceVersion this update replaces' })
    .min(1, { message: 'required: the resourceVersion this update replaces' }),
});

/** Body of `PUT /v1/<kind>/{namespace}/{name}`: the whole desired spec, with a resourceVersion precondition. */
export function updateBodyFor<S extends z.ZodType>(spec: S) {
  return z.strictObject({
    deliveryId: DeliveryId.optional(),
    correlationId: CorrelationId.optional(),
    metadata: UpdateMetadata,
    spec,
  });
}

/**
 * How deep a request body may nest, the body itself being level 1. Specs nest a dozen levels; the
 * limit keeps free-form fields from reaching depths that overflow a recursive step downstream.
 */
export const MAX_BODY_DEPTH = 100;

/**
 * Body of `PATCH` (`application/merge-patch+json`, RFC 7386): what to change in labels, annotations
 * and spec, `null` removing a key. The merged spec is validated where it is applied.
 */
export const MergePatchBody = z.strictObject({
  metadata: z
    .strictObject({
      labels: z.record(LabelKey, LabelValue.nullable()).optional(),
      annotations: z.record(z.string(), z.string().nullable()).optional(),
      resourceVersion: z.string().min(1).optional(),
    })
    .optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
});
export type MergePatchBody = z.infer<typeof MergePatchBody>;

/** A primitive as the API returns it. */
export const ResourceView = z.object({
  id: z.string(),
  kind: z.string(),
  apiVersion: z.string(),
  metadata: ObjectMeta,
  spec: z.unknown(),
  status: z.unknown(),
});
export type ResourceView = z.infer<typeof ResourceView>;

/** A Kubernetes object as stored in the cluster (what the provisioner reads and writes). */
export const KubeObject = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: ObjectMeta,
  spec: z.unknown().optional(),
  status: z.unknown().optional(),
});
export type KubeObject = z.infer<typeof KubeObject>;

/** `202 Accepted` body when the outcome is slower than the gateway's wait budget. */
export const AcceptedView = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.literal('Accepted'),
  deliveryId: z.string(),
  links: z.object({ self: z.string() }),
});
export type AcceptedView = z.infer<typeof AcceptedView>;

/** A page of a list endpoint. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), continue: z.string().optional() });
}

/** The API view of a stored object: Jangar's id, kind and the parts of metadata users need. */
export function toResourceView(obj: KubeObject, idLabel: string): ResourceView {
  const m = obj.metadata;
  return {
    id: m.labels?.[idLabel] ?? m.uid,
    kind: obj.kind,
    apiVersion: obj.apiVersion,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      creationTimestamp: m.creationTimestamp,
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      labels: m.labels ?? {},
      ...(m.annotations ? { annotations: m.annotations } : {}),
    },
    spec: obj.spec ?? {},
    status: obj.status ?? {},
  };
}
