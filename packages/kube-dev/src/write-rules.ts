import { randomUUID } from 'node:crypto';
import { conflict, invalid } from './api-error.js';
import { jsonEqual } from './json.js';
import { generatedName, kubeTimestamp, userMeta } from './object-meta.js';
import { apiVersionOf } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import { validatorOf } from './schema-validation.js';
import type { InputObject, KubeObject, ObjectMeta } from './types.js';
import { validateMeta } from './validation.js';

/**
 * A request body as kube-apiserver decodes it for a resource with a schema: fields the schema
 * does not declare pruned, nulls it does not allow dropped, defaults filled in.
 */
export function admittedInput(res: ResourceDefinition, input: InputObject, stored?: KubeObject): InputObject {
  const validator = validatorOf(res);
  if (!validator) return input;
  return validator.normalize(input, stored).object;
}

/**
 * Rejects with 422 an object whose name, labels or schema-checked fields are invalid, all causes
 * in one Status. On update, `old` lets schema errors on unchanged values through (ratcheting).
 */
export function checkValid(res: ResourceDefinition, object: KubeObject, old?: KubeObject): void {
  const causes = [
    ...validateMeta({ name: object.metadata.name, labels: object.metadata.labels }),
    ...(validatorOf(res)?.validate(object, old) ?? []),
  ];
  if (causes.length > 0) throw invalid(res, object.metadata.name, causes);
}

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

/** The object a create stores: server-owned metadata assigned, status dropped, then validated. */
export function createdObject(
  res: ResourceDefinition,
  namespace: string,
  name: string,
  body: InputObject,
  rv: number,
  now: Date,
): KubeObject {
  const input = admittedInput(res, body);
  const meta = userMeta(input.metadata);
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
  const object: KubeObject = { apiVersion: apiVersionOf(res), kind: res.kind, metadata, ...content };
  checkValid(res, object);
  return object;
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
 * The object an update produces, still carrying the current resourceVersion, validated against
 * the schema. The main resource ignores `.status` and server-owned metadata; the status
 * subresource takes only `.status`.
 */
export function updatedObject(res: ResourceDefinition, current: KubeObject, body: InputObject, subresource?: 'status'): KubeObject {
  const next = unvalidatedUpdate(current, admittedInput(res, body, current), subresource);
  checkValid(res, next, current);
  return next;
}

function unvalidatedUpdate(current: KubeObject, input: InputObject, subresource?: 'status'): KubeObject {
  if (subresource === 'status') {
    const { status: _s, ...rest } = current;
    return input.status === undefined ? rest : { ...rest, status: input.status };
  }
  const meta = userMeta(input.metadata);
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

/**
 * The object a delete leaves behind while finalizers remain. Setting deletionTimestamp bumps
 * the generation, as kube-apiserver does: controllers must see that the desired state changed.
 */
export function markedForDeletion(current: KubeObject, rv: number, now: Date): KubeObject {
  const { metadata } = current;
  return {
    ...current,
    metadata: {
      ...metadata,
      resourceVersion: String(rv),
      generation: metadata.generation + 1,
      deletionTimestamp: kubeTimestamp(now),
      deletionGracePeriodSeconds: 0,
    },
  };
}
