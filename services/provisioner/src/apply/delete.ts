import {
  cancelledStatus,
  isTerminalPhase,
  JANGAR_ANNOTATIONS,
  type DecisionMessage,
  type KindDefinition,
  type KubeObject,
  type OutcomePayload,
} from '@jangar/contracts';
import { DomainError, faultPoint } from '@jangar/service-kit';
import { Binding } from '../bindings/types.js';
import type { Cluster } from '../cluster.js';
import type { Tombstones } from '../tombstones.js';
import { applied, rejected } from './outcome.js';

function isActiveRun(kind: KindDefinition, obj: KubeObject): boolean {
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  return kind.isRun && !isTerminalPhase(phase);
}

/** Removes the provider workload a run's binding names, if it names one; one already gone counts as removed. */
async function removeWorkload(run: KubeObject, cluster: Cluster): Promise<void> {
  const binding = Binding.safeParse(JSON.parse(run.metadata.annotations?.[JANGAR_ANNOTATIONS.binding] ?? 'null'));
  if (binding.success && binding.data.resource) await cluster.deleteProviderResource(binding.data.resource);
}

/** Stops a run that is still going: records it Cancelled, then removes its provider workload. */
async function cancel(kind: KindDefinition, current: KubeObject, cluster: Cluster, by: string): Promise<KubeObject | undefined> {
  const { namespace, name } = current.metadata;
  const patched = await cluster.patchStatus(kind, namespace, name, cancelledStatus(current, by, new Date()));
  await removeWorkload(current, cluster);
  return patched;
}

/**
 * Deletes a resource. A run still going is cancelled first, so its watchers see it end as
 * Cancelled. Finalizers are honoured: the object then stays, marked for deletion, and the outcome
 * says `pending`. The object is recorded as this request's tombstone before it is deleted, so a
 * redelivery that finds it gone, or finds a newer object of the same name (another uid), answers
 * as the first attempt did, rather than `not_found` or a second delete. A run is also recorded
 * before it is cancelled: the cancel changes its resourceVersion, and a redelivery that finds its
 * own tombstone on the object carries on from where the first attempt stopped instead of holding
 * the client's resourceVersion against a change its own attempt made; one whose tombstone shows the
 * object as it found it (nothing changed by this request) still holds it. The removal is recorded
 * under the create that made the object too, so a late redelivery of that create makes nothing.
 */
export async function applyDelete(
  message: DecisionMessage,
  kind: KindDefinition,
  cluster: Cluster,
  tombstones: Pick<Tombstones, 'record' | 'find' | 'recordRemoval'>,
): Promise<OutcomePayload> {
  const request = message.payload.request;
  const { namespace, name = '', resourceVersion: precondition } = request.metadata;
  // The tombstone first: an object of this name that is not the one this request recorded was
  // created after the first attempt deleted that one, and a redelivery must not delete it too.
  const owner = { key: message.requestKey, id: request.id };
  const deleted = await tombstones.find(owner);
  const current = await cluster.get(kind, namespace, name);
  if (deleted && current?.metadata.uid !== deleted.metadata.uid) return applied(request, deleted, { deletion: 'completed' });
  if (!current) return rejected(request, { code: 'not_found', detail: `no ${kind.kind} "${name}" in namespace "${namespace}"` });
  if (current.metadata.deletionTimestamp !== undefined) return applied(request, current, { deletion: 'pending' });
  // An earlier attempt changed the object itself when its tombstone is the run it was about to
  // cancel and the run reads Cancelled now, or is the run its cancel left (a resourceVersion of its
  // own making). A tombstone of the object as it passed the precondition says only that an attempt
  // began: a delete refused as stale by the API server, or lost on the way, keeps the client's
  // check, as does a run that ended on its own before the cancel.
  const cancelBegun = deleted !== undefined && isActiveRun(kind, deleted);
  const cancelled = cancelBegun && (current.status as { phase?: string } | undefined)?.phase === 'Cancelled';
  const changedByThisRequest = cancelled || (deleted !== undefined && !cancelBegun && deleted.metadata.resourceVersion !== precondition);
  if (!changedByThisRequest && precondition !== undefined && precondition !== current.metadata.resourceVersion) {
    return rejected(request, {
      code: 'conflict',
      detail: `the ${kind.kind} was changed since resourceVersion ${precondition} (now ${current.metadata.resourceVersion})`,
      errors: [{ path: 'metadata.resourceVersion', message: 'stale' }],
    });
  }

  let target = current;
  // A cancel that recorded the run Cancelled may not have seen its workload removed (the removal
  // failed, or the replica died): the run reads as ended now, and the workload must still go.
  if (cancelled) await removeWorkload(current, cluster);
  if (isActiveRun(kind, current)) {
    await tombstones.record(owner, current, 'cancelling');
    faultPoint('provisioner.before-cancel');
    const left = await cancel(kind, current, cluster, message.principal.subject);
    if (!left) return applied(request, current, { deletion: 'completed' });
    target = left;
  }
  faultPoint('provisioner.before-delete');
  await tombstones.record(owner, target);
  await tombstones.recordRemoval(target);
  try {
    // The client's resourceVersion holds for an object no attempt has touched yet; the uid always holds.
    const result = await cluster.delete(kind, target, !changedByThisRequest && target === current ? precondition : undefined);
    faultPoint('provisioner.after-delete');
    if (result === undefined || result === 'gone') return applied(request, target, { deletion: 'completed' });
    return applied(request, result, { deletion: 'pending' });
  } catch (err) {
    if (err instanceof DomainError && err.code === 'conflict') return rejected(request, err.toPayload());
    throw err;
  }
}
