import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { badRequest, unsupportedMediaType } from './api-error.js';
import { readJsonBody, mediaType } from './http-util.js';
import { isJsonObject } from './json.js';
import { applyJsonPatch, JsonPatch, mergePatch } from './patch.js';
import { apiVersionOf } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import { InputObject } from './types.js';
import type { KubeObject } from './types.js';

function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Checks a decoded body against the URL: right apiVersion, kind, namespace and (for updates) name. */
export function checkObject(res: ResourceDefinition, body: unknown, namespace: string, name?: string): InputObject {
  if (!isJsonObject(body)) throw badRequest('the body of the request must be a JSON object');
  const parsed = InputObject.safeParse(body);
  if (!parsed.success) throw badRequest(`the body of the request is not a valid object: ${describeZodError(parsed.error)}`);
  const input = parsed.data;
  const expected = apiVersionOf(res);
  if (input.apiVersion !== expected) {
    throw badRequest(`the API version in the data (${input.apiVersion}) does not match the expected API version (${expected})`);
  }
  if (input.kind !== res.kind) throw badRequest(`the kind in the data (${input.kind}) does not match the expected kind (${res.kind})`);
  const ns = input.metadata.namespace;
  if (ns !== undefined && ns !== '' && ns !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (name !== undefined && input.metadata.name !== name) {
    throw badRequest(`the name of the object (${input.metadata.name ?? ''}) does not match the name on the URL (${name})`);
  }
  return input;
}

/** Reads a create or replace body. */
export async function readObject(req: IncomingMessage, res: ResourceDefinition, namespace: string, name?: string): Promise<InputObject> {
  const type = mediaType(req);
  if (type !== '' && type !== 'application/json') throw unsupportedMediaType(type);
  return checkObject(res, await readJsonBody(req), namespace, name);
}

/** Reads a PATCH body and applies it to `current`, returning the object to store. */
export async function readPatched(req: IncomingMessage, res: ResourceDefinition, current: KubeObject): Promise<InputObject> {
  const type = mediaType(req);
  const body = await readJsonBody(req);
  let patched: unknown;
  if (type === 'application/merge-patch+json' || (type === 'application/strategic-merge-patch+json' && res.builtin)) {
    // Strategic merge on built-ins degrades to a merge patch: list merge keys are not modelled here.
    if (!isJsonObject(body)) throw badRequest('a merge patch must be a JSON object');
    patched = mergePatch(current, body);
  } else if (type === 'application/json-patch+json') {
    const ops = JsonPatch.safeParse(body);
    if (!ops.success) throw badRequest(`the JSON patch is not valid: ${describeZodError(ops.error)}`);
    patched = applyJsonPatch(current, ops.data);
  } else {
    throw unsupportedMediaType(type);
  }
  return checkObject(res, patched, current.metadata.namespace, current.metadata.name);
}
