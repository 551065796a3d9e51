import { z } from 'zod';
import { badRequest, ApiError } from './api-error.js';
import { isJsonObject, jsonEqual } from './json.js';

export { mergePatch } from '@jangar/contracts';

const Operation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('replace'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('test'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('remove'), path: z.string() }),
  z.object({ op: z.literal('move'), path: z.string(), from: z.string() }),
  z.object({ op: z.literal('copy'), path: z.string(), from: z.string() }),
]);

/** An RFC 6902 JSON patch document. */
export const JsonPatch = z.array(Operation);
export type JsonPatch = z.infer<typeof JsonPatch>;

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function parentOf(doc: unknown, tokens: string[], path: string): { parent: Container; last: string } {
  let cursor = doc;
  for (const token of tokens.slice(0, -1)) {
    cursor = Array.isArray(cursor) ? cursor[Number(token)] : isJsonObject(cursor) ? cursor[token] : undefined;
    if (typeof cursor !== 'object' || cursor === null) throw badRequest(`JSON patch path ${JSON.stringify(path)} does not exist`);
  }
  return { parent: cursor as Container, last: tokens[tokens.length - 1] as string };
}

function arrayIndex(arr: unknown[], token: string, path: string, allowEnd: boolean): number {
  if (allowEnd && token === '-') return arr.length;
  const index = /^(0|[1-9]\d*)$/.test(token) ? Number(token) : NaN;
  if (!(index >= 0 && index <= arr.length - (allowEnd ? 0 : 1)))
    throw badRequest(`JSON patch index out of range at ${JSON.stringify(path)}`);
  return index;
}

function read(doc: unknown, path: string): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, path, false)];
  if (!Object.hasOwn(parent, last)) throw badRequest(`JSON patch path ${JSON.stringify(path)} does not exist`);
  return parent[last];
}

function remove(doc: unknown, path: string): unknown {
  const tokens = pointer(path);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, path, false), 1)[0];
  if (!Object.hasOwn(parent, last)) throw badRequest(`JSON patch path ${JSON.stringify(path)} does not exist`);
  const value = parent[last];
  delete parent[last];
  return value;
}

function add(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, path, !replace);
    parent.splice(index, replace ? 1 : 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, last)) throw badRequest(`JSON patch path ${JSON.stringify(path)} does not exist`);
    parent[last] = value;
  }
  return doc;
}

/** Applies an RFC 6902 JSON patch to a copy of `target`. */
export function applyJsonPatch(target: unknown, operations: JsonPatch): unknown {
  let doc = structuredClone(target);
  for (const op of operations) {
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, structuredClone(op.value), false);
        break;
      case 'replace':
        doc = add(doc, op.path, structuredClone(op.value), true);
        break;
      case 'remove':
        remove(doc, op.path);
        break;
      case 'test':
        if (!jsonEqual(read(doc, op.path), op.value)) {
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: test operation failed at ${op.path}`,
          );
        }
        break;
      case 'move':
        doc = add(doc, op.path, remove(doc, op.from), false);
        break;
      case 'copy':
        doc = add(doc, op.path, structuredClone(read(doc, op.from)), false);
        break;
    }
  }
  return doc;
}
