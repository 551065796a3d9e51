import type { ResourceDefinition, ResourceRegistry } from './resources.js';

/** What a request path addresses. */
export type Route =
  | { kind: 'probe'; name: 'healthz' | 'readyz' | 'livez' }
  | { kind: 'version' }
  | { kind: 'openapiIndex' }
  | { kind: 'openapiGroupVersion'; group: string; version: string }
  | { kind: 'coreVersions' }
  | { kind: 'coreResources' }
  | { kind: 'namespaces'; watch: boolean }
  | { kind: 'namespace'; name: string }
  | { kind: 'groups' }
  | { kind: 'group'; group: string }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'collection'; res: ResourceDefinition; namespace?: string; watch: boolean }
  | { kind: 'object'; res: ResourceDefinition; namespace: string; name: string; subresource?: 'status' }
  | { kind: 'unknown' };

function decode(segments: string[]): string[] | undefined {
  try {
    return segments.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function resourceRoute(registry: ResourceRegistry, group: string, version: string, rest: string[]): Route {
  // The deprecated `/watch/` path prefix is still spoken by old clients.
  const watch = rest[0] === 'watch';
  const parts = watch ? rest.slice(1) : rest;
  if (parts.length === 1) {
    const res = registry.find(group, version, parts[0] as string);
    return res ? { kind: 'collection', res, watch } : { kind: 'unknown' };
  }
  if (parts[0] !== 'namespaces' || parts.length < 3) return { kind: 'unknown' };
  const [, namespace = '', plural = '', name, subresource, ...extra] = parts;
  const res = registry.find(group, version, plural);
  if (!res || extra.length > 0) return { kind: 'unknown' };
  if (name === undefined) return { kind: 'collection', res, namespace, watch };
  if (watch) return { kind: 'collection', res, namespace, watch };
  if (subresource === undefined) return { kind: 'object', res, namespace, name };
  return subresource === 'status' ? { kind: 'object', res, namespace, name, subresource } : { kind: 'unknown' };
}

/** Resolves a URL path against the served resources. */
export function resolveRoute(registry: ResourceRegistry, pathname: string): Route {
  const segments = decode(pathname.split('/').filter((s) => s !== ''));
  if (!segments) return { kind: 'unknown' };
  const [root, a, b, c, ...rest] = segments;
  if (segments.length === 1 && (root === 'healthz' || root === 'readyz' || root === 'livez')) return { kind: 'probe', name: root };
  if (segments.length === 1 && root === 'version') return { kind: 'version' };
  if (root === 'openapi' && a === 'v3') {
    if (b === undefined) return { kind: 'openapiIndex' };
    const [group, version, ...more] = [c, ...rest];
    if (b === 'apis' && group && version && more.length === 0 && registry.inGroupVersion(group, version).length > 0) {
      return { kind: 'openapiGroupVersion', group, version };
    }
    return { kind: 'unknown' };
  }
  if (root === 'api') {
    if (a === undefined) return { kind: 'coreVersions' };
    if (a !== 'v1') return { kind: 'unknown' };
    if (b === undefined) return { kind: 'coreResources' };
    if (b === 'namespaces' && c === undefined) return { kind: 'namespaces', watch: false };
    if (b === 'watch' && c === 'namespaces' && rest.length === 0) return { kind: 'namespaces', watch: true };
    if (b === 'namespaces' && c !== undefined && rest.length === 0) return { kind: 'namespace', name: c };
    return { kind: 'unknown' };
  }
  if (root === 'apis') {
    if (a === undefined) return { kind: 'groups' };
    if (b === undefined) return registry.groups().has(a) ? { kind: 'group', group: a } : { kind: 'unknown' };
    if (c === undefined) {
      return registry.inGroupVersion(a, b).length > 0 ? { kind: 'groupVersion', group: a, version: b } : { kind: 'unknown' };
    }
    return resourceRoute(registry, a, b, [c, ...rest]);
  }
  return { kind: 'unknown' };
}
