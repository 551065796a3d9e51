import { randomUUID } from 'node:crypto';
import { conflict, invalid } from './api-error.js';
import { jsonEqual } from './json.js';
import { generatedName, kubeTimestamp, userMeta } from './object-meta.js';
import { apiVersionOf } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import type { InputObject, KubeObject, ObjectMeta } from './types.js';
import { validateMeta } from './validation.js';

/** The name a create will use: the given one, or `generateName` plus a suffix not yet taken. */
export function nameForCreate(input: InputObject, taken: (name: string) => boolean): string {
  const name = input.metadata.name ?? '';
  const prefix = input.metadata.generateName;
  if (name !== '' || !prefix) return name;
  let generated: string;
  do generated = generatedName(prefix);
  while (taken(generated));
  return generated;
}

/** The object a create stores: server-owned metadata assigned, status dropped, labels validated. */
export function createdObject(
  res: ResourceDefinition,
  namespace: string,
  name: string,
  input: InputObject,
  rv: number,
  now: Date,
): KubeObject {
  const meta = userMeta(input.metadata);
  const causes = validateMeta({ name, labels: meta.labels });
  if (causes.length > 0) throw invalid(res, name, causes);
  // A CRD with a status subresource ignores status on create; status is written through /status.
  const { apiVersion: _v, kind: _k, metadata: _m, status: _s, ...content } = input;
  const metadata: ObjectMeta = {
    ...meta,
    name,
    namespace,
    uid: randomUUID(),
    resourceVersion: String(rv),
    generation: 1,
    creationTimestamp: kubeTimestamp(now),
  };
  return { apiVersion: apiVersionOf(res), kind: res.kind, metadata, ...content };
}

/** Enforces optimistic concurrency: a stale resourceVersion is a 409, a missing one a 422 for CRDs. */
export function checkResourceVersion(res: ResourceDefinition, current: KubeObject, expected: string | undefined): void {
  if (expected === undefined || expected === '') {
    if (res.builtin) return;
    throw invalid(res, current.metadata.name, [
      { reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' },
    ]);
  }
  if (expected !== current.metadata.resourceVersion) throw conflict(res, current.metadata.name);
}

/** Compares everything but metadata and status: what a CRD counts as a generation change. */
function sameDesiredState(a: KubeObject, b: KubeObject): boolean {
  const { metadata: _am, status: _as, ...aRest } = a;
  const { metadata: _bm, status: _bs, ...bRest } = b;
  return jsonEqual(aRest, bRest);
}

/**
 * The object an update produces, still carrying the current resourceVersion. The main resource
 * ignores `.status` and server-owned metadata; the status subresource takes only `.status`.
 */
export function updatedObject(res: ResourceDefinition, current: KubeObject, input: InputObject, subresource?: 'status'): KubeObject {
  if (subresource === 'status') {
    const { status: _s, ...rest } = current;
    return input.status === undefined ? rest : { ...rest, status: input.status };
  }
  const meta = userMeta(input.metadata);
  const causes = validateMeta({ name: current.metadata.name, labels: meta.labels });
  if (causes.length > 0) throw invalid(res, current.metadata.name, causes);
  const { apiVersion: _v, kind: _k, metadata: _m, status: _s, ...content } = input;
  const { name, namespace, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp } = current.metadata;
  const metadata: ObjectMeta = { ...meta, name, namespace, uid, resourceVersion, generation, creationTimestamp };
  // Once deletion has begun it cannot be undone by an update.
  if (deletionTimestamp !== undefined) {
    metadata.deletionTimestamp = deletionTimestamp;
    metadata.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds ?? 0;
  }
  const next: KubeObject = { apiVersion: current.apiVersion, kind: current.kind, metadata, ...content };
  if (current.status !== undefined) next.status = current.status;
  if (!sameDesiredState(next, current)) metadata.generation = generation + 1;
  return next;
}

/** The object a delete leaves behind while finalizers remain. */
export function markedForDeletion(current: KubeObject, rv: number, now: Date): KubeObject {
  return {
    ...current,
    metadata: { ...current.metadata, resourceVersion: String(rv), deletionTimestamp: kubeTimestamp(now), deletionGracePeriodSeconds: 0 },
  };
}
