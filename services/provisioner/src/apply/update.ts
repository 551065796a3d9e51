import {
  fieldErrorsFromZod,
  JANGAR_ANNOTATIONS,
  JANGAR_LABELS,
  mergePatch,
  MergePatchBody,
  RECENT_REQUEST_MARKS,
  type DecisionMessage,
  type KindDefinition,
  type KubeObject,
  type OutcomePayload,
  type RequestPayload,
} from '@jangar/contracts';
import { canonicalJson, deliveryLabelValue, faultPoint } from '@jangar/service-kit';
import type { Cluster, StoredBody } from '../cluster.js';
import { bindingOf } from './binding.js';
import { applied, rejected } from './outcome.js';
import { ownedMetadataOf, userMetadataOf } from './owned-metadata.js';
import { missingReferences } from './references.js';

/**
 * The provider binding the object should carry after an update, or the refusal. A runtime left as
 * it was keeps the binding the run has: its workload (a Job, a Workflow, a Temporal execution) was
 * created from it, and a binding recomputed by newer code (a Temporal workflow id now ending in the
 * run's id) would point the status-aggregator and a later delete at one that does not exist. A
 * runtime changed on a run that has started is refused: its workload already runs on the old one.
 * A run that started without a binding (made by an orchestration, or outside Jangar) stays without
 * one: its workload came from whatever made it, and a binding computed now would name another.
 */
function nextBinding(kind: KindDefinition, current: KubeObject, spec: unknown): ReturnType<typeof bindingOf> | 'unchanged' {
  const runtimeOf = (s: unknown) => canonicalJson((s as { runtime?: unknown } | undefined)?.runtime ?? null);
  const kept = current.metadata.annotations?.[JANGAR_ANNOTATIONS.binding];
  const phase = (current.status as { phase?: string } | undefined)?.phase;
  const started = kind.isRun && phase !== undefined && phase !== 'Pending';
  if ((kept !== undefined || started) && runtimeOf(current.spec) === runtimeOf(spec)) return 'unchanged';
  if (started) {
    return {
      error: {
        code: 'conflict',
        detail: `the runtime of a ${kind.kind} cannot change once it has started (it is ${phase})`,
        errors: [{ path: 'spec.runtime', message: 'cannot change once the run has started' }],
      },
    };
  }
  const { namespace, name } = current.metadata;
  return bindingOf(kind.kind, { name, namespace, id: current.metadata.labels?.[JANGAR_LABELS.id] ?? current.metadata.uid }, spec);
}

/** How many times an update re-reads after losing a race (to find a twin delivery's mark, or to retry without a client precondition). */
const MAX_ATTEMPTS = 5;

interface DesiredState {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: unknown;
}

/**
 * What the user asked the object to become: the whole state for a PUT, the current state merged with
 * the patch for a PATCH; whatever the request says about keys Jangar owns is left out.
 */
function desiredState(request: RequestPayload, current: KubeObject): DesiredState {
  const { userLabels, userAnnotations } = ownedMetadataOf(current);
  if (request.verb === 'update') {
    const asked = userMetadataOf(request.metadata);
    return { labels: asked.labels, annotations: asked.annotations, spec: request.spec };
  }
  const patch = MergePatchBody.parse(request.patch ?? {});
  const asked = userMetadataOf(patch.metadata);
  return {
    labels: mergePatch(userLabels, asked.labels) as Record<string, string>,
    annotations: mergePatch(userAnnotations, asked.annotations) as Record<string, string>,
    spec: patch.spec === undefined ? current.spec : mergePatch(current.spec ?? {}, patch.spec),
  };
}

function staleVersion(request: RequestPayload, current: KubeObject): OutcomePayload {
  return rejected(request, {
    code: 'conflict',
    detail: `the ${request.kind} was changed since resourceVersion ${request.metadata.resourceVersion ?? ''} (now ${current.metadata.resourceVersion}); read it again and reapply your change`,
    errors: [{ path: 'metadata.resourceVersion', message: 'stale' }],
  });
}

/**
 * Replaces (PUT) or merge-patches (PATCH) a resource's labels, annotations and spec. The merged spec
 * is validated against the kind's contract and its references must resolve; Jangar's own labels and
 * annotations survive whatever the body says. Idempotent under redelivery: the applied update
 * leaves the request's mark on the object among the latest updates' marks, and a later delivery
 * that finds it answers with the object, even when other updates came in between.
 */
export async function applyUpdate(message: DecisionMessage, kind: KindDefinition, cluster: Cluster): Promise<OutcomePayload> {
  const request = message.payload.request;
  const { namespace, name = '', resourceVersion: precondition } = request.metadata;
  const mark = deliveryLabelValue(message.requestKey);

  for (let attempt = 1; ; attempt++) {
    const stored = await cluster.read(kind, namespace, name);
    if (!stored) return rejected(request, { code: 'not_found', detail: `no ${kind.kind} "${name}" in namespace "${namespace}"` });
    const current = stored.object;
    const marks = (current.metadata.annotations?.[JANGAR_ANNOTATIONS.lastRequest] ?? '').split(' ').filter(Boolean);
    if (marks.includes(mark)) return applied(request, current);
    if (current.metadata.deletionTimestamp !== undefined) {
      return rejected(request, { code: 'conflict', detail: `the ${kind.kind} "${name}" is being deleted and cannot be changed` });
    }
    if (precondition !== undefined && precondition !== current.metadata.resourceVersion) return staleVersion(request, current);

    const desired = desiredState(request, current);
    const spec = kind.spec.safeParse(desired.spec);
    if (!spec.success) {
      return rejected(request, {
        code: 'validation_failed',
        detail: `the ${kind.kind} spec would not be valid after this change`,
        errors: fieldErrorsFromZod(spec.error, ['spec']),
      });
    }
    const missing = await missingReferences(cluster, kind.kind, namespace, spec.data);
    if (missing) return rejected(request, missing);
    const bound = nextBinding(kind, current, spec.data);
    if (bound !== 'unchanged' && 'error' in bound) return rejected(request, bound.error);

    // Built from the server's whole body: metadata Jangar does not own (ownerReferences,
    // finalizers…) goes back as it was, and resourceVersion makes the replace conditional.
    const { jangarLabels, jangarAnnotations } = ownedMetadataOf(current);
    const next: StoredBody = {
      ...stored.body,
      metadata: {
        ...stored.body.metadata,
        labels: { ...desired.labels, ...jangarLabels },
        annotations: {
          ...desired.annotations,
          ...jangarAnnotations,
          ...(bound !== 'unchanged' && bound.binding ? { [JANGAR_ANNOTATIONS.binding]: JSON.stringify(bound.binding) } : {}),
          // This request's mark first, then the ones before it: a redelivery of an earlier update
          // that comes after this one must find its own, not apply itself a second time.
          [JANGAR_ANNOTATIONS.lastRequest]: [mark, ...marks].slice(0, RECENT_REQUEST_MARKS).join(' '),
        },
      },
      spec: spec.data,
    };
    const replaced = await cluster.replace(kind, next);
    faultPoint('provisioner.after-update');
    if (replaced) return applied(request, replaced);
    // Lost a race with another writer: read again. The writer may be a twin delivery of this very
    // request, whose mark then answers `applied`; otherwise, with the client's precondition, the
    // re-read answers the client's conflict, and without one the change is reapplied, as
    // `kubectl patch` would.
    if (attempt >= MAX_ATTEMPTS) {
      const latest = (await cluster.get(kind, namespace, name)) ?? current;
      return staleVersion(request, latest);
    }
  }
}
