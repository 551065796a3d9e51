import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { providerStatusOf } from '@jangar/contracts';

/**
 * What the aggregator keeps of the objects it watches. It holds every live run and provider
 * object between events, so their size is its memory. A real API server adds `managedFields` to
 * every object, often larger than the rest of it; `kubectl apply` adds a copy of the whole object
 * as an annotation; a run's spec carries its prompt and steps, and an Argo Workflow's status a node
 * per step. Observing reads none of these (client-go informers drop the same with a transform).
 */

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Watched = KubernetesObject & { spec?: unknown; status?: unknown };

/** A run as observing it needs it: metadata without managedFields, the spec's runtime, the whole status. */
export function slimRun<T extends Watched>(obj: T): T {
  const { managedFields: _managed, annotations, ...metadata } = obj.metadata ?? {};
  const kept = annotations && LAST_APPLIED in annotations ? withoutKey(annotations, LAST_APPLIED) : annotations;
  const runtime = isRecord(obj.spec) ? obj.spec.runtime : undefined;
  return {
    ...obj,
    metadata: { ...metadata, ...(kept ? { annotations: kept } : {}) },
    spec: runtime === undefined ? {} : { runtime },
  };
}

/** A Job or Workflow as the provider join needs it: who it is and the status fields its state comes from. */
export function slimProvider<T extends Watched & { kind?: string }>(obj: T, kind: string): T {
  const { managedFields: _managed, annotations: _annotations, ...metadata } = obj.metadata ?? {};
  const { spec: _spec, ...rest } = obj;
  return { ...rest, metadata, status: providerStatusOf({ kind, status: obj.status }) } as T;
}

/** A Watch whose events carry the slimmed object: an informer built on it caches only that. */
export class SlimmingWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly slim: (obj: KubernetesObject) => KubernetesObject,
  ) {
    super(kc);
  }

  override watch(...[path, query, callback, done]: Parameters<Watch['watch']>): ReturnType<Watch['watch']> {
    // ERROR events carry a Status, not an object of the watched kind.
    return super.watch(path, query, (phase, obj, raw) => callback(phase, phase === 'ERROR' ? obj : this.slim(obj), raw), done);
  }
}

function withoutKey(map: Record<string, string>, key: string): Record<string, string> {
  const { [key]: _dropped, ...rest } = map;
  return rest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
