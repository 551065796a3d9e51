import type { IncomingMessage, ServerResponse } from 'node:http';
import { expired, methodNotAllowed, notFound } from './api-error.js';
import { enforceFieldValidation } from './field-validation.js';
import { sendJson } from './http-util.js';
import { NAMESPACE_RESOURCE } from './namespaces.js';
import { readDeleteOptions, rejectDryRun } from './object-handlers.js';
import { decodeContinue, encodeContinue, parseLimit } from './paging.js';
import { readObject } from './request-body.js';
import { apiVersionOf } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import { compileFilter } from './selectors.js';
import type { ObjectFilter } from './selectors.js';
import { objectKey } from './store.js';
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

const INCONSISTENT_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/**
 * The objects of a collection as they were at `rv`, in namespace/name order after `afterKey`.
 * Writes since then are undone from the event log: the first event after `rv` for an object
 * holds what it was (nothing, for an ADDED). Undefined when those events were already evicted.
 */
function snapshotAt(
  store: ObjectStore,
  target: CollectionTarget,
  rv: number,
  afterKey: string | undefined,
): [string, KubeObject][] | undefined {
  const events = store.eventsSince(rv);
  if (events === undefined) return undefined;
  const before = new Map<string, KubeObject | null>();
  for (const event of events) {
    if (event.resource.group !== target.res.group || event.resource.plural !== target.res.plural) continue;
    const { namespace, name } = event.object.metadata;
    if (target.namespace !== undefined && namespace !== target.namespace) continue;
    const key = objectKey(namespace, name);
    if (!before.has(key)) before.set(key, event.type === 'ADDED' ? null : (event.previous ?? null));
  }
  const entries: [string, KubeObject][] = [];
  for (const [key, obj] of store.scan(target.res, { namespace: target.namespace, afterKey }))
    if (!before.has(key)) entries.push([key, obj]);
  for (const [key, obj] of before) if (obj && (afterKey === undefined || key > afterKey)) entries.push([key, obj]);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Lists objects in namespace/name order, honouring limit and continue. As in kube-apiserver,
 * every page of a continued list shows the collection as of the first page (its
 * resourceVersion); once the writes since then have left the event log, a continue token gets
 * 410 Expired, carrying a token that resumes the list inconsistently at the current state.
 */
export function listPage(store: ObjectStore, target: CollectionTarget, filter: ObjectFilter, query: URLSearchParams): Page {
  const limit = parseLimit(query.get('limit'));
  const token = query.get('continue');
  const resumed = token ? decodeContinue(token) : undefined;
  const afterKey = resumed?.key;
  let rv = store.resourceVersion;
  let source: Iterable<[string, KubeObject]> = store.scan(target.res, { namespace: target.namespace, afterKey });
  if (resumed && resumed.rv < rv) {
    const snapshot = snapshotAt(store, target, resumed.rv, afterKey);
    if (!snapshot) throw expired(INCONSISTENT_CONTINUE, { continue: encodeContinue(rv, resumed.key) });
    source = snapshot;
    rv = resumed.rv;
  }
  const items: KubeObject[] = [];
  let lastKey: string | undefined;
  let more = false;
  for (const [key, obj] of source) {
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
      enforceFieldValidation(resource, input, query, res);
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
