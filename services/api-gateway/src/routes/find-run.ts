import { JANGAR_LABELS, KubeObject, normalizeRun, RPCS, type NormalizedRun } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';
import type { GatewayDeps } from '../deps.js';

/** The run with this id from the aggregator, or the object stored with its delivery while the aggregator has not seen it yet. */
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
  if (!parsed.success || parsed.data.metadata.labels?.[JANGAR_LABELS.id] !== id) return undefined;
  if (parsed.data.kind !== 'AgentRun' && parsed.data.kind !== 'OrchestrationRun') return undefined;
  return normalizeRun(parsed.data);
}
