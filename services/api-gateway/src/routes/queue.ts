import type { FastifyInstance } from 'fastify';
import { QueueFilter, RPCS } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';
import { mayAccess } from '../auth.js';
import type { GatewayDeps } from '../deps.js';
import { parseQuery } from '../query.js';

/** `GET /v1/queue`: runs a concurrency or rate limit holds back, in the order they will be tried (`state=Admitted|Rejected|Expired` for those that left). */
export function registerQueueRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/v1/queue', async (req) => {
    const caller = req.caller!;
    const q = parseQuery(QueueFilter, req.query);
    if (q.namespace && !mayAccess(caller, q.namespace))
      throw new DomainError('forbidden', `the token may not read namespace "${q.namespace}"`);
    return deps.call(RPCS.listQueue, { ...q, namespaces: [...caller.namespaces] });
  });
}
