/**
 * What the YAML inspector shows of a resource: the desired state (apiVersion, kind, metadata,
 * spec) apart from the observed state (status), with the fields Kubernetes and tooling manage
 * hidden unless asked for — they change on every write and bury what a person wrote.
 */
import { JANGAR_ANNOTATIONS, type ResourceView } from '@jangar/contracts';

/** Metadata fields the server maintains; shown only with "managed fields" on. */
export const MANAGED_METADATA_FIELDS = ['managedFields', 'resourceVersion', 'uid', 'generation', 'selfLink'] as const;

/** Annotations written by tools for tools (kubectl's last-applied copy, Jangar's trace and dedup marks). */
export const NOISY_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  JANGAR_ANNOTATIONS.traceparent,
  JANGAR_ANNOTATIONS.lastRequest,
] as const;

export interface Manifest {
  /** apiVersion, kind, metadata and spec: what was asked for. */
  desired: Record<string, unknown>;
  /** status: what the controllers report; undefined when the resource has none. */
  status: unknown;
}

/** Splits a resource into desired state and status, stripping managed fields unless `showManaged`. */
export function manifestOf(view: ResourceView, showManaged: boolean): Manifest {
  const { id: _id, status, metadata, ...rest } = view;
  const desired = { apiVersion: rest.apiVersion, kind: rest.kind, metadata: showManaged ? metadata : stripManaged(metadata), spec: rest.spec };
  return { desired, status: isEmpty(status) ? undefined : status };
}

/** A copy of `metadata` without managed fields and noisy annotations; an emptied annotations map is dropped. */
export function stripManaged<M extends object>(metadata: M): Partial<M> {
  const copy = { ...metadata } as Record<string, unknown>;
  for (const field of MANAGED_METADATA_FIELDS) delete copy[field];
  const annotations = copy.annotations;
  if (annotations && typeof annotations === 'object') {
    const kept = Object.fromEntries(
      Object.entries(annotations as Record<string, unknown>).filter(([k]) => !(NOISY_ANNOTATIONS as readonly string[]).includes(k)),
    );
    if (Object.keys(kept).length === 0) delete copy.annotations;
    else copy.annotations = kept;
  }
  return copy as Partial<M>;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'object' && Object.keys(value).length === 0);
}
