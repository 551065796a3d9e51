import type { JetStreamClient } from '@nats-io/jetstream';
import {
  cancelledByDeletion,
  dedupIds,
  isOlderResourceVersion,
  JANGAR_ANNOTATIONS,
  normalizeRun,
  runStage,
  SUBJECTS,
  type KubeObject,
  type NormalizedRun,
} from '@jangar/contracts';
import { contextFromTraceparent, forEachLimited, publish, withSpan } from '@jangar/service-kit';
import { statusDigest, type RunStore } from './store.js';

type ObserveDeps = { js: JetStreamClient; store: RunStore };
type Observed = 'published' | 'unchanged' | 'stale';

/**
 * Records one observed version of a run. A status change is published before it is stored, with
 * the change (`<uid>:<resourceVersion>:<stored digest>><new digest>`) as dedup ID: a crash between
 * the two re-publishes the same ID after restart (dropped by JetStream), and a stored digest that
 * matches means nothing new to publish. A change of the provider alone keeps the run's
 * resourceVersion but not its digest, so it is published as any other change, and so is its
 * return to an earlier state. Only the same change again within the duplicate window (a provider
 * flapping twice at one version of the run) is dropped.
 */
export async function observeRun(obj: KubeObject, deps: ObserveDeps, opts: { fillOnly?: boolean } = {}): Promise<Observed> {
  return observeVersion(normalizeRun(obj), obj.metadata.annotations?.[JANGAR_ANNOTATIONS.traceparent], deps, opts);
}

/**
 * {@link observeRun} for a version already normalized, joining the trace `traceparent` names.
 * `fillOnly`: a version from elsewhere than the watch, which lacks what the watch joins to it (the
 * provider's live state): stored only where it is newer than what is stored, never over the
 * watch's own observation of the same version.
 */
async function observeVersion(
  run: NormalizedRun,
  traceparent: string | undefined,
  deps: ObserveDeps,
  opts: { fillOnly?: boolean } = {},
): Promise<Observed> {
  const previous = await deps.store.previous(run.uid);
  if (opts.fillOnly && previous && !isOlderResourceVersion(previous.resourceVersion, run.resourceVersion)) return 'stale';
  // An older version than the one stored (a resumed watch replaying what a provider's informer
  // already showed, a replica behind another): storing or publishing it would turn the run back.
  if (previous && isOlderResourceVersion(run.resourceVersion, previous.resourceVersion)) return 'stale';
  const digest = statusDigest(run);
  if (previous?.digest === digest) {
    // The same status. A new version (a label changed) is stored for reads; the same version again
    // (a provider update that changed nothing the run shows, a re-list) has nothing to store.
    if (previous.resourceVersion !== run.resourceVersion) await deps.store.upsert(run, digest);
    return 'unchanged';
  }
  // Only changes join the request's trace: an informer's re-lists would otherwise keep adding
  // spans to traces long finished.
  const parent = contextFromTraceparent(traceparent);
  const attributes = { 'k8s.namespace.name': run.namespace, 'k8s.object.name': run.name, 'jangar.run.phase': run.phase };
  return withSpan('observe run', { parent, attributes }, async () => {
    await publish(
      deps.js,
      SUBJECTS.runStatus,
      { namespace: run.namespace, type: run.type.toLowerCase(), name: run.name, stage: runStage(run.phase) },
      { occurredAt: new Date().toISOString(), payload: { run, ...(previous ? { previousPhase: previous.phase } : {}) } },
      dedupIds.runStatus(run.uid, run.resourceVersion, previous?.digest, digest),
    );
    await deps.store.upsert(run, digest);
    return 'published' as const;
  });
}

/**
 * Ends the stored runs of `type` that a list taken at `resourceVersion` left out (`listed` holds
 * the uids it had): deleted while no watch saw it — the API server's history had moved past the
 * watch's version, so it answered 410 and the watch listed again — they would otherwise read as
 * running for good. Each is ended as a deletion seen ends a run (`deletedRunVersion`), timed by its
 * last stored state and at its last stored version, not the list's: a replica still behind may yet
 * observe how the run really ended, and a later version than the one stored (its end, or its
 * deletion seen) replaces this guess, where the list's version would outrank them all. Two
 * replicas that list end it alike. How it ended, if no replica saw it, is lost with the object.
 */
export async function observeVanished(
  type: string,
  listed: ReadonlySet<string>,
  resourceVersion: string,
  deps: ObserveDeps,
): Promise<number> {
  const gone = await deps.store.unfinishedBefore(type, resourceVersion, listed);
  // Side by side, as the watch observes runs: a namespace deleted while no watch saw it may leave
  // thousands, and the marks of both run kinds wait for this one.
  await forEachLimited(gone, 8, async (run) => {
    const at = Date.parse(run.updatedAt);
    const when = new Date(Number.isNaN(at) ? Date.parse(run.createdAt) || 0 : at);
    await observeVersion(cancelledByDeletion(run, 'a deletion no watch saw', when), undefined, deps);
  });
  return gone.length;
}
