import { JANGAR_LABELS, type DecisionMessage, type KindDefinition, type KubeObject, type OutcomePayload } from '@jangar/contracts';
import { deliveryLabelValue, faultPoint, traceparentOf, type Logger } from '@jangar/service-kit';
import type { Cluster } from '../cluster.js';
import { bindingOf } from './binding.js';
import { buildObject } from './build.js';
import { applied, rejected } from './outcome.js';
import { missingReferences } from './references.js';
import type { Tombstones } from '../tombstones.js';

/**
 * Creates the resource. Idempotent under redelivery: its name is derived from the request key, so
 * a second attempt finds the first object (create-or-get) and recognises it by its delivery label —
 * also when a reference it was created with has been deleted since, and when the object itself
 * has been deleted since (its removal is on the bus).
 */
export async function applyCreate(
  message: DecisionMessage,
  kind: KindDefinition,
  cluster: Cluster,
  tombstones: Pick<Tombstones, 'removalOf'>,
  logger: Logger,
): Promise<OutcomePayload> {
  const request = message.payload.request;
  /**
   * What a delete removed of this request's object since its first attempt made it. The object's
   * Jangar id must be this request's: a deliveryId used again once the gateway forgot it (its
   * retention past) is a new request under the same key, with an id of its own, and creates.
   */
  const removedSince = async (): Promise<KubeObject | undefined> => {
    const removed = await tombstones.removalOf(message.requestKey);
    return removed?.metadata.labels?.[JANGAR_LABELS.id] === request.id ? removed : undefined;
  };
  // A redelivery of a create whose object a delete has removed since (its ack was lost to a crash)
  // must not make the run again: its answer is the object as the delete found it. First, before a
  // reference deleted since could turn that answer into a refusal.
  const removed = await removedSince();
  if (removed) return applied(request, removed);

  const namespace = request.metadata.namespace;
  const name = request.metadata.name ?? '';
  /** The object this request's delivery already created under that name, if any (create-or-get). */
  const createdBefore = async (): Promise<KubeObject | undefined> => {
    const existing = name ? await cluster.get(kind, namespace, name) : undefined;
    if (existing?.metadata.labels?.[JANGAR_LABELS.delivery] !== deliveryLabelValue(message.requestKey)) return undefined;
    logger.info({ requestKey: message.requestKey, name }, 'resource already created by this request');
    return existing;
  };
  const missing = await missingReferences(cluster, kind.kind, namespace, request.spec);
  if (missing) {
    // A redelivery after the first attempt created the object: a reference deleted since does not
    // undo that, and the answer is the object, as for any other redelivery.
    const existing = await createdBefore();
    return existing ? applied(request, existing) : rejected(request, missing);
  }
  const bound = bindingOf(kind.kind, { name, namespace, id: request.id }, request.spec);
  if ('error' in bound) return rejected(request, bound.error);

  const body = buildObject(message, kind, bound.binding, traceparentOf());
  const created = await cluster.create(kind, namespace, body);
  faultPoint('provisioner.after-create');
  if (created) {
    // Another delivery of this request can have made the object, had it answered and deleted, all
    // between the read above and this create: a redelivery racing the client's delete, or a first
    // delivery that waited in a replica's buffer past the ack wait while a second one was handled.
    // The delete records the removal before it deletes, so one recorded by now means this new
    // object must not stay.
    const removedMeanwhile = await removedSince();
    if (!removedMeanwhile) return applied(request, created, { created: true });
    await cluster.delete(kind, created);
    return applied(request, removedMeanwhile);
  }

  const existing = await createdBefore();
  if (existing) return applied(request, existing);
  return rejected(request, {
    code: 'conflict',
    detail: `a ${kind.kind} named "${body.metadata.name}" already exists in namespace "${namespace}"`,
    errors: [{ path: 'metadata.name', message: 'already exists' }],
  });
}
