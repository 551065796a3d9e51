import { kindByName, type DomainErrorPayload, type KindDefinition } from '@jangar/contracts';
import type { Cluster } from '../cluster.js';

/**
 * Which fields of a spec name another resource that must exist in the same namespace. A path
 * walks the spec; `[]` steps into every element of a list.
 */
const REFERENCE_FIELDS: Readonly<Record<string, ReadonlyArray<{ path: string; kind: string }>>> = {
  AgentRun: [{ path: 'agentRef.name', kind: 'Agent' }],
  OrchestrationRun: [{ path: 'orchestrationRef.name', kind: 'Orchestration' }],
  Orchestration: [{ path: 'steps[].agentRef.name', kind: 'Agent' }],
  ToolRun: [{ path: 'toolRef.name', kind: 'Tool' }],
  SignalDelivery: [{ path: 'signalRef.name', kind: 'Signal' }],
};

/** A resource a spec names: its kind, its name and where the spec names it (`spec.steps[1].agentRef.name`). */
export interface Reference {
  kind: KindDefinition;
  name: string;
  path: string;
}

/** Every value at `path` in `value`, with the concrete path it was found at. */
function valuesAt(value: unknown, segments: readonly string[], at: string): Array<{ value: unknown; path: string }> {
  if (segments.length === 0) return [{ value, path: at }];
  const [head, ...rest] = segments as [string, ...string[]];
  const list = head.endsWith('[]');
  const key = list ? head.slice(0, -2) : head;
  const child = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  if (!list) return valuesAt(child, rest, `${at}.${key}`);
  return Array.isArray(child) ? child.flatMap((item, i) => valuesAt(item, rest, `${at}.${key}[${i}]`)) : [];
}

/** Every kind some spec refers to: what the provisioner keeps informer caches of. */
export const REFERENCED_KINDS: readonly KindDefinition[] = [
  ...new Set(Object.values(REFERENCE_FIELDS).flatMap((fields) => fields.map((f) => f.kind))),
].flatMap((name) => kindByName(name) ?? []);

/** Every reference a spec of this kind makes. */
export function referencesOf(kind: string, spec: unknown): Reference[] {
  return (REFERENCE_FIELDS[kind] ?? []).flatMap(({ path, kind: target }) => {
    const targetKind = kindByName(target);
    if (!targetKind) return [];
    return valuesAt(spec, path.split('.'), 'spec').flatMap(({ value, path: at }) =>
      typeof value === 'string' && value !== '' ? [{ kind: targetKind, name: value, path: at }] : [],
    );
  });
}

/** The 422 problem naming every reference of `spec` that does not resolve in `namespace`, or undefined when all do. */
export async function missingReferences(
  cluster: Cluster,
  kind: string,
  namespace: string,
  spec: unknown,
): Promise<DomainErrorPayload | undefined> {
  const missing: Reference[] = [];
  for (const ref of referencesOf(kind, spec)) {
    if (!(await cluster.exists(ref.kind, namespace, ref.name))) missing.push(ref);
  }
  if (missing.length === 0) return undefined;
  return {
    code: 'reference_not_found',
    detail: missing.map((r) => `${r.kind.kind} "${r.name}" does not exist in namespace "${namespace}"`).join('; '),
    errors: missing.map((r) => ({ path: r.path, message: `${r.kind.kind} "${r.name}" not found in namespace "${namespace}"` })),
  };
}
