import { createHash } from 'node:crypto';
import { apiVersionOf } from './resources.js';
import type { ResourceRegistry } from './resources.js';

/**
 * OpenAPI v3 as far as kubectl needs it: one document per group version whose PATCH operations
 * declare `fieldValidation`. kubectl then leaves validation to the server instead of demanding
 * schemas, and (seeing no strategic-merge body) `kubectl apply` falls back to merge patches.
 */
export function groupVersionDocument(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const res of registry.inGroupVersion(group, version)) {
    const gvk = { group: res.group, version: res.version, kind: res.kind };
    const query = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
    paths[`/apis/${apiVersionOf(res)}/namespaces/{namespace}/${res.plural}/{name}`] = {
      patch: {
        operationId: `patch${res.kind}`,
        'x-kubernetes-group-version-kind': gvk,
        'x-kubernetes-action': 'patch',
        parameters: [query('dryRun'), query('fieldManager'), query('fieldValidation'), query('force')],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

function hashOf(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
}

/** `GET /openapi/v3`: where each group version's document lives, with a content hash for caching. */
export function openApiIndex(registry: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [group, versions] of registry.groups()) {
    for (const version of versions) {
      const hash = hashOf(groupVersionDocument(registry, group, version));
      paths[`apis/${group}/${version}`] = { serverRelativeURL: `/openapi/v3/apis/${group}/${version}?hash=${hash}` };
    }
  }
  return { paths };
}
