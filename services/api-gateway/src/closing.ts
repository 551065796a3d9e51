/**
 * What a gateway replica answers while it shuts down. Closing stops new connections, but a client
 * on a kept-alive connection (an L4 load balancer keeps it pinned to this pod) can still send
 * requests until the connection ends. Fastify's own answer to them is a bare JSON 503; this
 * answers the API's `unavailable` problem instead, with `Retry-After`, and closes the connection,
 * so the client's retry with the same deliveryId reconnects and reaches another replica.
 */
import { DomainError } from '@jangar/service-kit';
import type { FastifyInstance } from 'fastify';

/**
 * Refuses every request that arrives once `app.close()` has begun. Registered after the tracing,
 * metrics and log hooks, so a refusal is traced, counted and logged like any other answer, and
 * before authentication and the routes, which it spares.
 */
export function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!closing) return;
    reply.header('Retry-After', '1').header('Connection', 'close');
    throw new DomainError('unavailable', 'this gateway replica is shutting down; retry with the same deliveryId');
  });
}
