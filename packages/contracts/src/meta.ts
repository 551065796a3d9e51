import { z } from 'zod';

/** DNS-1123 subdomain: the form Kubernetes requires of object names. */
export const ResourceName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    message: 'must be a lowercase DNS-1123 subdomain (a-z, 0-9, "-" and "."; starting and ending alphanumeric)',
  });

/** DNS-1123 label: the form Kubernetes requires of namespaces. */
export const NamespaceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    message: 'must be a lowercase DNS-1123 label (a-z, 0-9 and "-"; at most 63 characters)',
  });

const labelNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelPrefix = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `key` is a valid Kubernetes label key (`[prefix/]name`). */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !labelPrefix.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && labelNamePart.test(name);
}

/** True when `value` is a valid Kubernetes label value (may be empty). */
export function isLabelValue(value: string): boolean {
  return value.length === 0 || (value.length <= 63 && labelNamePart.test(value));
}

export const LabelKey = z.string().refine(isLabelKey, { message: 'must be a valid label key ([prefix/]name, name at most 63 characters)' });
export const LabelValue = z
  .string()
  .refine(isLabelValue, { message: 'must be a valid label value (at most 63 characters, alphanumeric at both ends)' });
export const Labels = z.record(LabelKey, LabelValue);

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);

export const Condition = z.object({
  type: z.string().min(1),
  status: ConditionStatus,
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof Condition>;

/** The parts of Kubernetes ObjectMeta that Jangar reads and returns. */
export const ObjectMeta = z.object({
  name: z.string(),
  namespace: z.string(),
  uid: z.string(),
  resourceVersion: z.string(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

export const LocalRef = z.strictObject({ name: ResourceName });

/** Free-form configuration objects (provider config, `with` maps). */
export const FreeForm = z.record(z.string(), z.unknown());
