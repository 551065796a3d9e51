import { RPCS } from '@jangar/contracts';
import { endpoint } from '@jangar/service-kit';
import type { QueueStore } from './store.js';

/** The queue RPCs the gateway's `/v1/queue` route calls. */
export function queueEndpoints(queue: QueueStore) {
  return [endpoint(RPCS.listQueue, (q) => queue.list(q))];
}
