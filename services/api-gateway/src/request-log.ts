/**
 * One log line per answered request, in place of fastify's two ("incoming request" when it
 * arrives, "request completed" when it is answered). Logs are written synchronously (see
 * `createLogger`), and the two lines were a fifth of the gateway's CPU on the accept path; the
 * second line alone says everything the first did, plus the status, the time taken and the trace.
 * A request that never gets an answer (the client went away) is logged when it is aborted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '@jangar/service-kit';

const request = (req: FastifyRequest) => ({ method: req.method, url: req.url, remoteAddress: req.ip });

/** Logs each request once, when it is answered or aborted; fastify's own request logging must be off. */
export function logRequests(app: FastifyInstance): void {
  // Probe routes log at warn (see probes.ts): their lines are not even built, a probe costs little else.
  app.addHook('onResponse', (req, reply, done) => {
    if (!(req.log as Logger).isLevelEnabled('info')) return done();
    req.log.info({ req: request(req), res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    req.log.info({ req: request(req) }, 'request aborted by the client');
    done();
  });
}
