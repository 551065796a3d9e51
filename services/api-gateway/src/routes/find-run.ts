import {
  Condition,
  JANGAR_LABELS,
  KubeObject,
  kindByName,
  normalizeRun,
  Problem,
  refusalState,
  RPCS,
  uncreatedRunView,
  type NormalizedRun,
} from '@jangar/contracts';
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

/** What a refused create's stored problem says of the run: its code and detail, and the phase and conditions it would have had. */
const RefusedAnswer = Problem.pick({ code: true, detail: true, phase: true, conditions: true });

/**
 * A run that does not exist, as the runs API shows it, from the delivery of its create: `Pending`
 * while it is accepted (on its way through policy and provisioning), queued or held for approval;
 * once its create is refused for good, the phase the refusal gives it (`Failed`, or `Cancelled` for
 * a run deleted while it waited in its queue or for approval), so the id of a 202 never turns into
 * a 404. It has no uid or resourceVersion; its name is the one it would have been created with.
 */
export function uncreatedRun(row: DeliveryRow): NormalizedRun | undefined {
  const { payload } = row.message;
  // The literals narrow `payload.kind` to a run's type.
  if (payload.verb !== 'create' || (payload.kind !== 'AgentRun' && payload.kind !== 'OrchestrationRun')) return undefined;
  const createdAt = new Date(row.createdAt).toISOString();
  const answer: unknown = row.responseBody == null ? null : JSON.parse(row.responseBody);
  let phase: NormalizedRun['phase'] = 'Pending';
  let conditions: Condition[];
  if (row.state === 'pending') {
    conditions = [acceptedCondition(createdAt)];
  } else if (row.state === 'awaiting') {
    const held = HeldAnswer.safeParse(answer);
    if (!held.success) return undefined;
    conditions = held.data.conditions;
  } else if (row.state === 'completed' && row.resource === null && (row.statusCode ?? 0) >= 400) {
    const refused = RefusedAnswer.safeParse(answer);
    if (!refused.success) return undefined;
    const at = new Date(row.completedAt ?? row.createdAt).toISOString();
    phase = refused.data.phase === 'Cancelled' ? 'Cancelled' : 'Failed';
    const given = refused.data.phase ? refused.data.conditions : undefined;
    conditions = (given ?? refusalState(refused.data.code, refused.data.detail ?? refused.data.code).conditions).map((c) => ({
      ...c,
      lastTransitionTime: c.lastTransitionTime ?? at,
    }));
  } else {
    return undefined;
  }
  return uncreatedRunView(
    { ...payload, kind: payload.kind },
    { deliveryId: row.deliveryId, correlationId: row.message.correlationId },
    {
      phase,
      conditions,
      createdAt,
    },
  );
}

/** The run a completed create stored with its delivery, when it created one. */
function createdRun(row: DeliveryRow, id: string): NormalizedRun | undefined {
  if (row.state !== 'completed') return undefined;
  const parsed = KubeObject.safeParse(row.resource);
  if (!parsed.success || parsed.data.metadata.labels?.[JANGAR_LABELS.id] !== id) return undefined;
  return kindByName(parsed.data.kind)?.isRun ? normalizeRun(parsed.data) : undefined;
}

/**
 * The run with this id. A run the gateway accepted but that does not exist reads from its delivery
 * ({@link uncreatedRun}: on its way, queued, held for approval, or refused for good) without asking
 * the aggregator, which knows nothing of it and is busiest exactly when many runs are new. Any other
 * run comes from the aggregator; until the aggregator has seen a brand-new run, the object stored
 * with its delivery answers. So the id of any 201 or 202 reads at once.
 */
export async function findRun(deps: GatewayDeps, id: string): Promise<NormalizedRun | undefined> {
  // The delivery's column is a uuid: anything else could never match, and Postgres would refuse it.
  const row = z.guid().safeParse(id).success ? await deps.deliveries.findByResource(id) : undefined;
  const uncreated = row && uncreatedRun(row);
  if (uncreated) return uncreated;
  try {
    return await deps.call(RPCS.getRun, { id });
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== 'not_found') throw err;
  }
  return row && createdRun(row, id);
}
