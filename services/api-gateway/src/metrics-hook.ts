/**
 * HTTP metrics for the gateway: a latency histogram per method, route pattern and status, and the
 * process's Prometheus metrics at `GET /metrics` on the API port (the health port serves them too).
 */
import type { FastifyInstance } from 'fastify';
import { metrics } from '@jangar/service-kit';
import { isProbe } from './probes.js';

/** Observes every answered request but the probes and serves `/metrics`; install before any route is added. */
export function instrumentRequests(app: FastifyInstance): void {
  const histogram = metrics().httpRequestSeconds;
  app.addHook('onResponse', (req, reply, done) => {
    if (isProbe(req)) return done();
    // The route pattern, never the raw URL: ids and unknown paths would make one series per request.
    const route = req.routeOptions.url ?? 'unmatched';
    histogram.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', async (_req, reply) => {
    const { body, type } = await metrics().render();
    return reply.type(type).send(body);
  });
}
