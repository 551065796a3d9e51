import { apiVersionOf } from './resources.js';
import type { ResourceDefinition, ResourceRegistry } from './resources.js';

/** The Kubernetes release this server imitates. */
export const SERVED_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' } as const;

const OBJECT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

/** `GET /version`: a version.Info. */
export function versionInfo(): Record<string, string> {
  return {
    ...SERVED_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-11T00:00:00Z',
    goVersion: 'go1.23.3',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

/** `GET /api`: the legacy core group's versions. */
export function coreVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** `GET /api/v1`: only namespaces are served from the core group. */
export function coreResources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'] },
    ],
  };
}

function groupEntry(name: string, versions: string[]): Record<string, unknown> {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: entries, preferredVersion: entries[0] };
}

/** `GET /apis`: every served group (legacy discovery; kubectl falls back to it from aggregated discovery). */
export function groupList(registry: ResourceRegistry): Record<string, unknown> {
  const groups = [...registry.groups()].map(([name, versions]) => groupEntry(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `GET /apis/<group>`. */
export function group(registry: ResourceRegistry, name: string): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(name, registry.groups().get(name) ?? []) };
}

function resourceEntries(res: ResourceDefinition): Record<string, unknown>[] {
  return [
    {
      name: res.plural,
      singularName: res.singular,
      namespaced: true,
      kind: res.kind,
      verbs: OBJECT_VERBS,
      shortNames: [...res.shortNames],
      ...(res.categories?.length ? { categories: [...res.categories] } : {}),
    },
    { name: `${res.plural}/status`, singularName: '', namespaced: true, kind: res.kind, verbs: STATUS_VERBS },
  ];
}

/** `GET /apis/<group>/<version>`: the resources of one group version, with their status subresources. */
export function resourceList(registry: ResourceRegistry, groupName: string, version: string): Record<string, unknown> {
  const resources = registry.inGroupVersion(groupName, version);
  const groupVersion = resources[0] ? apiVersionOf(resources[0]) : `${groupName}/${version}`;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: resources.flatMap(resourceEntries) };
}
