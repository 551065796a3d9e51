import {
  JANGAR_LABELS,
  kindByName,
  toResourceView,
  type KindDefinition,
  type KubeObject,
  type ResourceLookup,
  type ResourceQuery,
  type ResourceView,
} from '@jangar/contracts';
import { z } from 'zod';
import { continueToken, DomainError } from '@jangar/service-kit';
import type { Cluster } from './cluster.js';

/** Where a page ended: the sort key of its last item. */
const cursor = continueToken(z.object({ t: z.string(), ns: z.string(), n: z.string() }));
type Cursor = ReturnType<typeof cursor.decode>;

const keyOf = (o: KubeObject): Cursor => ({ t: o.metadata.creationTimestamp, ns: o.metadata.namespace, n: o.metadata.name });

/** Newest first; equal timestamps (they have one-second resolution) by namespace and name, so the order is total. */
function compareKeys(a: Cursor, b: Cursor): number {
  if (a.t !== b.t) return a.t < b.t ? 1 : -1;
  if (a.ns !== b.ns) return a.ns < b.ns ? -1 : 1;
  return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

function kindOf(name: string): KindDefinition {
  const kind = kindByName(name);
  if (!kind) throw new DomainError('not_found', `unknown kind "${name}"`);
  return kind;
}

const view = (o: KubeObject): ResourceView => toResourceView(o, JANGAR_LABELS.id);

/** The namespaces to read: the one asked for, or every namespace of the caller's scope (undefined: all). */
function namespacesToRead(namespace: string | undefined, scope: readonly string[]): Array<string | undefined> {
  if (namespace !== undefined) return scope.includes('*') || scope.includes(namespace) ? [namespace] : [];
  return scope.includes('*') ? [undefined] : [...scope];
}

/** One resource by namespace and name, or by its Jangar id; outside the caller's scope it does not exist. */
export async function getResource(cluster: Cluster, q: ResourceLookup): Promise<ResourceView> {
  const kind = kindOf(q.kind);
  if ('id' in q) {
    const selector = `${JANGAR_LABELS.id}=${q.id}`;
    for (const ns of namespacesToRead(undefined, q.namespaces)) {
      const [found] = await cluster.list(kind, ns, selector);
      if (found) return view(found);
    }
    throw new DomainError('not_found', `no ${kind.kind} with id "${q.id}"`);
  }
  const found = namespacesToRead(q.namespace, q.namespaces).length > 0 ? await cluster.get(kind, q.namespace, q.name) : undefined;
  if (!found) throw new DomainError('not_found', `no ${kind.kind} "${q.name}" in namespace "${q.namespace}"`);
  return view(found);
}

/**
 * A page of one kind, newest first, keyset-paged on (creationTimestamp, namespace, name) so objects
 * created meanwhile never shift a later page. The label selector is the API server's; the phase
 * filter and the order are applied here, as the API server offers neither for custom resources.
 */
export async function listResources(cluster: Cluster, q: ResourceQuery): Promise<{ items: ResourceView[]; continue?: string }> {
  const kind = kindOf(q.kind);
  const after = q.continue === undefined ? undefined : cursor.decode(q.continue);
  const phases = q.phase === undefined ? undefined : new Set(q.phase);
  const all: KubeObject[] = [];
  for (const ns of namespacesToRead(q.namespace, q.namespaces)) all.push(...(await cluster.list(kind, ns, q.labelSelector)));
  const matching = all
    .filter((o) => phases === undefined || phases.has((o.status as { phase?: string } | undefined)?.phase ?? ''))
    .filter((o) => after === undefined || compareKeys(keyOf(o), after) > 0)
    .sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const page = matching.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map(view),
    ...(matching.length > q.limit && last ? { continue: cursor.encode(keyOf(last)) } : {}),
  };
}
