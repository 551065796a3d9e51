import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, methodNotAllowed, notFound } from './api-error.js';
import { enforceFieldValidation } from './field-validation.js';
import { readJsonBody, sendJson } from './http-util.js';
import { readObject, readPatched } from './request-body.js';
import type { ResourceDefinition } from './resources.js';
import type { ObjectStore } from './store.js';
import { tableRequest, toTable } from './table.js';
import { DeleteOptions } from './types.js';
import type { KubeObject } from './types.js';

/** An object route: one object, or its status subresource. */
export interface ObjectTarget {
  res: ResourceDefinition;
  namespace: string;
  name: string;
  subresource?: 'status';
}

/** Rejects server-side dry runs rather than silently performing the write. */
export function rejectDryRun(query: URLSearchParams): void {
  if (query.has('dryRun')) throw badRequest('dryRun is not supported by kube-dev');
}

/** Reads the optional DeleteOptions body of a DELETE. */
export async function readDeleteOptions(req: IncomingMessage): Promise<DeleteOptions> {
  const body = await readJsonBody(req);
  if (body === undefined) return {};
  const parsed = DeleteOptions.safeParse(body);
  if (!parsed.success) throw badRequest(`invalid DeleteOptions: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

function sendObject(
  req: IncomingMessage,
  res: ServerResponse,
  target: ObjectTarget,
  query: URLSearchParams,
  obj: KubeObject,
  code = 200,
): void {
  const table = tableRequest(req, query.get('includeObject'));
  if (table) sendJson(res, code, toTable(target.res, [obj], table, { resourceVersion: obj.metadata.resourceVersion }));
  else sendJson(res, code, obj);
}

/**
 * What kube-apiserver answers to a DELETE that removed a custom resource at once: a Success
 * Status naming it (`details.kind` is the plural resource name, as the API server writes it).
 */
export function deletedStatus(res: ResourceDefinition, obj: KubeObject): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata.name, group: res.group, kind: res.plural, uid: obj.metadata.uid },
  };
}

/** GET, PUT, PATCH and DELETE on one object or its status. */
export async function handleObject(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ObjectTarget,
  query: URLSearchParams,
): Promise<void> {
  const { res: resource, namespace, name, subresource } = target;
  const current = (): KubeObject => {
    const obj = store.get(resource, namespace, name);
    if (!obj) throw notFound(resource, name);
    return obj;
  };
  switch (req.method ?? '') {
    case 'GET':
      return sendObject(req, res, target, query, current());
    case 'PUT': {
      rejectDryRun(query);
      const input = await readObject(req, resource, namespace, name);
      enforceFieldValidation(resource, input, query, res, store.get(resource, namespace, name));
      return sendJson(res, 200, store.update(resource, namespace, name, input, subresource));
    }
    case 'PATCH': {
      rejectDryRun(query);
      const stored = current();
      const input = await readPatched(req, resource, stored);
      enforceFieldValidation(resource, input, query, res, stored);
      return sendJson(res, 200, store.update(resource, namespace, name, input, subresource));
    }
    case 'DELETE': {
      if (subresource) throw methodNotAllowed('DELETE');
      rejectDryRun(query);
      const options = await readDeleteOptions(req);
      const { object, removed } = store.delete(resource, namespace, name, options);
      // An object still held by finalizers comes back as it now is; one that is gone, as a Status
      // for a custom resource (built-in types return the deleted object).
      return sendJson(res, 200, removed && !resource.builtin ? deletedStatus(resource, object) : object);
    }
    default:
      throw methodNotAllowed(req.method ?? 'UNKNOWN');
  }
}
