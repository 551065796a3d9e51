import { createHash } from 'node:crypto';
import { notFound } from './api-error.js';
import { AGE_COLUMN } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import type { ObjectStore } from './store.js';
import type { KubeObject, ObjectMeta } from './types.js';
import { isDnsLabel } from './validation.js';

/** Namespaces exist implicitly; these are listed even while empty. */
export const BUILTIN_NAMESPACES = ['default', 'jangar'];

/** The core Namespace type, described like a resource so tables and errors can be rendered for it. */
export const NAMESPACE_RESOURCE: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: true,
  printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE_COLUMN],
};

// Derived from the name so a namespace keeps its uid for as long as it is listed.
function stableUid(name: string): string {
  const hex = createHash('sha256').update(`namespace/${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function namespaceObject(name: string, createdAt: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    // Namespaces are cluster-scoped, so their metadata has no namespace field.
    metadata: {
      name,
      uid: stableUid(name),
      resourceVersion: '1',
      creationTimestamp: createdAt,
      labels: { 'kubernetes.io/metadata.name': name },
    } as Omit<ObjectMeta, 'namespace' | 'generation'> as ObjectMeta,
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/** Synthesized namespaces: the built-in ones plus every namespace that holds an object. */
export function listNamespaces(store: ObjectStore, createdAt: string): KubeObject[] {
  const names = new Set([...BUILTIN_NAMESPACES, ...store.namespaces()]);
  return [...names].sort().map((name) => namespaceObject(name, createdAt));
}

/** Any well-formed namespace name exists: objects may be created in it without creating it first. */
export function getNamespace(name: string, createdAt: string): KubeObject {
  if (!isDnsLabel(name)) throw notFound(NAMESPACE_RESOURCE, name);
  return namespaceObject(name, createdAt);
}
