import { randomUUID } from 'node:crypto';
import { RequestMessage } from '@jangar/contracts';
import type { NewDelivery } from '../src/deliveries/store.js';

/** Alice's claim of a create in team-a under `deliveryId`: of an AgentRun with `spec`, unless `kind` says otherwise. */
export function claimOf(deliveryId: string, spec: unknown = { a: 1 }, kind = 'AgentRun'): NewDelivery {
  const resourceId = randomUUID();
  const requestKey = `alice:${deliveryId}`;
  return {
    requestKey,
    principal: 'alice',
    deliveryId,
    fingerprint: `fp-${deliveryId}`,
    resourceId,
    kind: 'AgentRun',
    verb: 'create',
    namespace: 'team-a',
    name: undefined,
    message: RequestMessage.parse({
      deliveryId,
      requestKey,
      correlationId: deliveryId,
      principal: { subject: 'alice' },
      namespace: 'team-a',
      occurredAt: new Date().toISOString(),
      payload: { id: resourceId, kind, verb: 'create', metadata: { namespace: 'team-a' }, spec },
    }),
  };
}
