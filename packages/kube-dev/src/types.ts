import { z } from 'zod';

/** Metadata as the server stores it: the system fields are always present. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [field: string]: unknown;
}

/** A stored object. Stored objects are never mutated; every write stores a fresh copy. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

const StringMap = z.record(z.string(), z.string());

/** Metadata as a client may send it; system fields are accepted and then overwritten. */
export const InputMeta = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  labels: StringMap.nullish(),
  annotations: StringMap.nullish(),
  finalizers: z.array(z.string()).nullish(),
});
export type InputMeta = z.infer<typeof InputMeta>;

/** A request body for create and replace. */
export const InputObject = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: InputMeta.default({}),
});
export type InputObject = z.infer<typeof InputObject>;

/** The DeleteOptions body a client may send with DELETE. */
export const DeleteOptions = z.looseObject({
  propagationPolicy: z.enum(['Orphan', 'Background', 'Foreground']).optional(),
  gracePeriodSeconds: z.number().int().optional(),
  preconditions: z.object({ uid: z.string().optional(), resourceVersion: z.string().optional() }).optional(),
});
export type DeleteOptions = z.infer<typeof DeleteOptions>;
