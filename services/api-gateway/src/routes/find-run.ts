import { Condition, JANGAR_LABELS, KubeObject, normalizeRun, RPCS, type NormalizedRun } from '@jangar/contracts';
import { z } from 'zod';
import type { DeliveryRow } from '../deliveries/store.js';
import { DomainError } from '@jangar/service-kit';
import type { GatewayDeps } from '../deps.js';

/** What a held run's stored 202 says of it: Pending, with the condition that holds it. */
const HeldAnswer = z.object({ phase: z.literal('Pending'), conditions: z.array(Condition) });

/** The condition of a run accepted and on its way through policy and provisioning. */
function acceptedCondition(since: string): Condition {
  return {
    type: 'Accepted',
    status: 'True',
    reason: 'Submitted',
    message: 'accepted; policy and provisioning are under way',
    lastTransitionTime: since,
  };
}

/**
 * A run that does not exist yet, as the runs API shows it: Pending, from the delivery of its
 * create. Accepted while it goes through policy and provisioning; Blocked or AwaitingApproval (the
 * condition of its stored 202) while a limit queues it or an approval holds it. It has no uid or
 * resourceVersion until the object exists; its name is the one it will be created with.
 */
export function pendingRun(row: DeliveryRow): NormalizedRun | undefined {
  const { payload } = row.message;
  if (payload.verb !== 'create' || (payload.kind !== 'AgentRun' && payload.kind !== 'OrchestrationRun')) return undefined;
  const createdAt = new Date(row.createdAt).toISOString();
  let conditions: Condition[];
  if (row.state === 'pending') {
    conditions = [acceptedCondition(createdAt)];
  } else if (row.state === 'awaiting') {
    const answer = HeldAnswer.safeParse(JSON.parse(row.responseBody ?? 'null'));
    if (!answer.success) return undefined;
    conditions = answer.data.conditions;
  } else {
    return undefined;
  }
  return {
    id: payload.id,
    type: payload.kind,
    namespace: payload.metadata.namespace,
    name: payload.metadata.name ?? '',
    uid: '',
    resourceVersion: '',
    labels: payload.metadata.labels ?? {},
    deliveryId: row.deliveryId,
    correlationId: row.message.correlationId,
    phase: 'Pending',
    conditions,
    createdAt,
    updatedAt: conditions.at(-1)?.lastTransitionTime ?? createdAt,
  };
}

/** The run a completed create stored with its delivery, when it created one. */
function createdRun(row: DeliveryRow, id: string): NormalizedRun | undefined {
  if (row.state !== 'completed') return undefined;
  const parsed = KubeObject.safeParse(row.resource);
  if (!parsed.success || parsed.data.metadata.labels?.[JANGAR_LABELS.id] !== id) return undefined;
  return parsed.data.kind === 'AgentRun' || parsed.data.kind === 'OrchestrationRun' ? normalizeRun(parsed.data) : undefined;
}

/**
 * The run with this id. A run the gateway accepted but has not seen created reads from its delivery
 * (Pending: accepted, queued or held for approval) without asking the aggregator, which knows
 * nothing of it yet and is busiest exactly when many runs are new. Any other run comes from the
 * aggregator; until the aggregator has seen a brand-new run, the object stored with its delivery
 * answers. So the id of any 201 or 202 reads at once.
 */
export async function findRun(deps: GatewayDeps, id: string): Promise<NormalizedRun | undefined> {
  const row = /^[0-9a-f-]{36}$/i.test(id) ? await deps.deliveries.findByResource(id) : undefined;
  const pending = row && pendingRun(row);
  if (pending) return pending;
  try {
    return await deps.call(RPCS.getRun, { id });
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== 'not_found') throw err;
  }
  return row && createdRun(row, id);
}
