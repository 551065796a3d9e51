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

/** Stops a run that is still going: records it Cancelled, then removes its provider workload. */
async function cancel(kind: KindDefinition, current: KubeObject, cluster: Cluster, by: string): Promise<KubeObject | undefined> {
  const { namespace, name } = current.metadata;
  const patched = await cluster.patchStatus(kind, namespace, name, cancelledStatus(current, by, new Date()));
  const binding = Binding.safeParse(JSON.parse(current.metadata.annotations?.[JANGAR_ANNOTATIONS.binding] ?? 'null'));
  if (binding.success && binding.data.resource) await cluster.deleteProviderResource(binding.data.resource);
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
 * the client's resourceVersion against a change its own attempt made. The removal is recorded
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
  const deleted = await tombstones.find(message.requestKey);
  const current = await cluster.get(kind, namespace, name);
  if (deleted && current?.metadata.uid !== deleted.metadata.uid) return applied(request, deleted, { deletion: 'completed' });
  if (!current) return rejected(request, { code: 'not_found', detail: `no ${kind.kind} "${name}" in namespace "${namespace}"` });
  if (current.metadata.deletionTimestamp !== undefined) return applied(request, current, { deletion: 'pending' });
  // This object is the one this request recorded: an attempt got past the precondition and began.
  const resuming = deleted !== undefined;
  if (!resuming && precondition !== undefined && precondition !== current.metadata.resourceVersion) {
    return rejected(request, {
      code: 'conflict',
      detail: `the ${kind.kind} was changed since resourceVersion ${precondition} (now ${current.metadata.resourceVersion})`,
      errors: [{ path: 'metadata.resourceVersion', message: 'stale' }],
    });
  }

  let target = current;
  if (isActiveRun(kind, current)) {
    await tombstones.record(message.requestKey, current, 'cancelling');
    faultPoint('provisioner.before-cancel');
    const cancelled = await cancel(kind, current, cluster, message.principal.subject);
    if (!cancelled) return applied(request, current, { deletion: 'completed' });
    target = cancelled;
  }
  faultPoint('provisioner.before-delete');
  await tombstones.record(message.requestKey, target);
  await tombstones.recordRemoval(target);
  try {
    // The client's resourceVersion holds for an object no attempt has touched yet; the uid always holds.
    const result = await cluster.delete(kind, target, !resuming && target === current ? precondition : undefined);
    faultPoint('provisioner.after-delete');
    if (result === undefined || result === 'gone') return applied(request, target, { deletion: 'completed' });
    return applied(request, result, { deletion: 'pending' });
  } catch (err) {
    if (err instanceof DomainError && err.code === 'conflict') return rejected(request, err.toPayload());
    throw err;
  }
}
