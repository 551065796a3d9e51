import { Condition, JANGAR_LABELS, KubeObject, normalizeRun, RPCS, type NormalizedRun } from '@jangar/contracts';
import { z } from 'zod';
import type { DeliveryRow } from '../deliveries/store.js';
import { DomainError } from '@jangar/service-kit';
import type { GatewayDeps } from '../deps.js';

/** What a held run's stored 202 says of it: Pending, with the condition that holds it. */
const HeldAnswer = z.object({ phase: z.literal('Pending'), conditions: z.array(Condition) });

/**
 * A run a limit queues or an approval holds, as the runs API shows it: Pending, with its Blocked or
 * AwaitingApproval condition, from the delivery that holds it. The object does not exist yet, so it
 * has no uid or resourceVersion; its name is the one it will be created with.
 */
export function heldRun(row: DeliveryRow): NormalizedRun | undefined {
  const answer = HeldAnswer.safeParse(JSON.parse(row.responseBody ?? 'null'));
  const { payload } = row.message;
  if (!answer.success || (payload.kind !== 'AgentRun' && payload.kind !== 'OrchestrationRun')) return undefined;
  const createdAt = new Date(row.createdAt).toISOString();
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
    conditions: answer.data.conditions,
    createdAt,
    updatedAt: answer.data.conditions.at(-1)?.lastTransitionTime ?? createdAt,
  };
}

/**
 * The run with this id from the aggregator; the object stored with its delivery while the
 * aggregator has not seen it yet; or, for a run a limit queues or an approval holds, its held view.
 */
export async function findRun(deps: GatewayDeps, id: string): Promise<NormalizedRun | undefined> {
  try {
    return await deps.call(RPCS.getRun, { id });
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== 'not_found') throw err;
  }
  // The aggregator sees a new run a moment after the provisioner created it; until then the
  // created object stored with the delivery answers, so a client can read right after 201.
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const row = await deps.deliveries.findResource(id);
  const parsed = KubeObject.safeParse(row?.resource);
  if (parsed.success && parsed.data.metadata.labels?.[JANGAR_LABELS.id] === id) {
    return parsed.data.kind === 'AgentRun' || parsed.data.kind === 'OrchestrationRun' ? normalizeRun(parsed.data) : undefined;
  }
  // The Location of a queued or held run's 202 must not answer 404 while it waits.
  const held = await deps.deliveries.findHeld(id);
  return held ? heldRun(held) : undefined;
}
