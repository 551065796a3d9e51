import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotAllowed, notFound } from './api-error.js';
import { sendJson } from './http-util.js';
import { NAMESPACE_RESOURCE } from './namespaces.js';
import { readDeleteOptions, rejectDryRun } from './object-handlers.js';
import { decodeContinue, encodeContinue, parseLimit } from './paging.js';
import { readObject } from './request-body.js';
import { apiVersionOf } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import { compileFilter } from './selectors.js';
import type { ObjectFilter } from './selectors.js';
import type { ObjectStore } from './store.js';
import { tableRequest, toTable } from './table.js';
import type { KubeObject } from './types.js';
import { isDnsLabel } from './validation.js';
import type { WatchHub } from './watch.js';

/** A collection route: one namespace, or all of them when `namespace` is undefined. */
export interface CollectionTarget {
  res: ResourceDefinition;
  namespace?: string;
  watch: boolean;
}

interface Page {
  items: KubeObject[];
  metadata: { resourceVersion: string; continue?: string };
}

/** Lists objects in namespace/name order, honouring limit and continue. */
export function listPage(store: ObjectStore, target: CollectionTarget, filter: ObjectFilter, query: URLSearchParams): Page {
  const limit = parseLimit(query.get('limit'));
  const token = query.get('continue');
  const afterKey = token ? decodeContinue(token).key : undefined;
  const rv = store.resourceVersion;
  const items: KubeObject[] = [];
  let lastKey: string | undefined;
  let more = false;
  for (const [key, obj] of store.scan(target.res, { namespace: target.namespace, afterKey })) {
    if (!filter(obj)) continue;
    if (limit > 0 && items.length === limit) {
      more = true;
      break;
    }
    items.push(obj);
    lastKey = key;
  }
  const metadata: Page['metadata'] = { resourceVersion: String(rv) };
  if (more && lastKey !== undefined) metadata.continue = encodeContinue(rv, lastKey);
  return { items, metadata };
}

function isWatch(target: CollectionTarget, query: URLSearchParams): boolean {
  const watch = query.get('watch');
  return target.watch || watch === 'true' || watch === '1';
}

/** GET (list or watch), POST (create) and DELETE (deletecollection) on a collection. */
export async function handleCollection(
  store: ObjectStore,
  hub: WatchHub,
  req: IncomingMessage,
  res: ServerResponse,
  target: CollectionTarget,
  query: URLSearchParams,
): Promise<void> {
  const { res: resource, namespace } = target;
  switch (req.method ?? '') {
    case 'GET': {
      const filter = compileFilter(resource, query.get('labelSelector'), query.get('fieldSelector'));
      const table = tableRequest(req, query.get('includeObject'));
      if (isWatch(target, query)) return hub.serve(res, { res: resource, namespace, filter, query, table });
      const page = listPage(store, target, filter, query);
      if (table) return sendJson(res, 200, toTable(resource, page.items, table, page.metadata));
      return sendJson(res, 200, {
        kind: `${resource.kind}List`,
        apiVersion: apiVersionOf(resource),
        metadata: page.metadata,
        items: page.items,
      });
    }
    case 'POST': {
      if (namespace === undefined) throw methodNotAllowed('POST');
      // Namespaces exist implicitly, but only names that could be namespaces.
      if (!isDnsLabel(namespace)) throw notFound(NAMESPACE_RESOURCE, namespace);
      rejectDryRun(query);
      const input = await readObject(req, resource, namespace);
      return sendJson(res, 201, store.create(resource, namespace, input));
    }
    case 'DELETE': {
      rejectDryRun(query);
      const filter = compileFilter(resource, query.get('labelSelector'), query.get('fieldSelector'));
      const options = await readDeleteOptions(req);
      const targets = [...store.scan(resource, { namespace })].map(([, obj]) => obj).filter(filter);
      const items = targets.map((obj) => store.delete(resource, obj.metadata.namespace, obj.metadata.name, options).object);
      return sendJson(res, 200, {
        kind: `${resource.kind}List`,
        apiVersion: apiVersionOf(resource),
        metadata: { resourceVersion: String(store.resourceVersion) },
        items,
      });
    }
    default:
      throw methodNotAllowed(req.method ?? 'UNKNOWN');
  }
}
