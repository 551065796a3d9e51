import { randomUUID } from 'node:crypto';
import { RequestMessage } from '@jangar/contracts';
import type { QueueStore } from '../src/queue/store.js';

const SIZES = { namespace: 10, cluster: undefined, maxWaitSeconds: 600 };

/** Queues alice's create of AgentRun `name` in `namespace` under `requestKey` (its deliveryId too), held back by a full concurrency limit. */
export async function queueRun(queue: QueueStore, namespace: string, name: string, requestKey = `alice:${name}`, agent?: string) {
  const message = RequestMessage.parse({
    deliveryId: requestKey.replace(/^alice:/, ''),
    requestKey,
    correlationId: name,
    principal: { subject: 'alice' },
    namespace,
    occurredAt: new Date().toISOString(),
    payload: { id: randomUUID(), kind: 'AgentRun', verb: 'create', metadata: { namespace, name }, spec: {} },
  });
  const entry = await queue.enqueue(message, { agent, reason: 'ConcurrencyLimit', detail: 'full' }, SIZES, randomUUID());
  if (!('row' in entry)) throw new Error('queue full');
  return { message, row: entry.row };
}
