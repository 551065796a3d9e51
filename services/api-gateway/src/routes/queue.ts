import type { FastifyInstance } from 'fastify';
import { QueueFilter, RPCS } from '@jangar/contracts';
import { assertMayList } from '../auth.js';
import type { GatewayDeps } from '../deps.js';
import { parseQuery } from '../query.js';

/** `GET /v1/queue`: runs a concurrency or rate limit holds back, in the order they will be tried (`state=Admitted|Rejected|Expired` for those that left). */
export function registerQueueRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/v1/queue', async (req) => {
    const caller = req.caller!;
    const q = parseQuery(QueueFilter, req.query);
    assertMayList(caller, q.namespace);
    return deps.call(RPCS.listQueue, { ...q, namespaces: [...caller.namespaces] });
  });
}
