import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { ERROR_CODES, type ErrorCode } from '@jangar/contracts';
import { activeTraceId, DomainError, TransientError } from '@jangar/service-kit';
import type { Caller } from './auth.js';
import type { GatewayDeps } from './deps.js';
import { refuseWhileClosing } from './closing.js';
import { instrumentRequests } from './metrics-hook.js';
import { refuseUnacceptable } from './input-guard.js';
import { openApiDocument } from './openapi.js';
import { logRequests } from './request-log.js';
import { PROBE_ROUTE } from './probes.js';
import { PROBLEM_CONTENT_TYPE, problemFor } from './problems.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerCreateRoutes } from './routes/create.js';
import { registerPolicyRoutes } from './routes/policy.js';
import { registerApprovalRoutes } from './routes/approvals.js';
import { registerQueueRoutes } from './routes/queue.js';
import { registerResourceRoutes } from './routes/resources.js';
import { registerRunRoutes } from './routes/runs.js';
import { traceRequests } from './tracing-hook.js';
import { registerUi } from './ui.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** Maps fastify's own failures (parsing, limits) onto the code registry. */
function codeForFastifyError(err: FastifyError): ErrorCode {
  if (err.statusCode === 413) return 'payload_too_large';
  if (err.statusCode === 415) return 'unsupported_media_type';
  if (err.statusCode === 404) return 'not_found';
  if (err.statusCode === 405) return 'method_not_allowed';
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return 'validation_failed';
  return 'internal';
}

/** Builds the HTTP API. Failures are turned into problem+json here, once, and nowhere else. */
export function buildApp(deps: GatewayDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.JANGAR_BODY_LIMIT_BYTES,
    genReqId: () => crypto.randomUUID(),
    // Fastify's default (100) is shorter than what paths carry: object names up to 253 characters,
    // correlation ids up to 255. Longer parameters still reach the handlers, to be refused by field.
    routerOptions: { maxParamLength: 1024 },
    // One line per request instead of two: see request-log.ts.
    logController: new LogController({ disableRequestLogging: true }),
    // Errors fastify raises before routing (a URL with a broken percent-escape) skip the error
    // handler; without this they would answer fastify's own JSON instead of a problem.
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const body = problemFor('validation_failed', err.message, { instance: req.url });
      void reply.code(400).type(PROBLEM_CONTENT_TYPE).send(body);
    },
    // Its answer while closing is a bare JSON 503: refuseWhileClosing answers a problem instead.
    return503OnClosing: false,
  });
  // The API speaks JSON only: fastify's built-in text/plain parser would let a plain-text body
  // through to the handlers as a string (400 "not an object") where the contract says 415.
  app.removeContentTypeParser('text/plain');
  traceRequests(app);
  instrumentRequests(app);
  logRequests(app);
  refuseWhileClosing(app);

  app.setErrorHandler((err: FastifyError | DomainError, req, reply) => {
    const traceId = activeTraceId();
    const instance = req.url;
    if (err instanceof DomainError) {
      // A service that cannot answer for now, like a request still in progress, is worth a retry soon.
      if (err.code === 'request_in_progress' || err.code === 'unavailable') reply.header('Retry-After', '1');
      if (ERROR_CODES[err.code].status >= 500) req.log.warn({ err }, 'request failed');
      const body = problemFor(err.code, err.message, {
        errors: err.errors,
        violations: err.violations,
        instance,
        ...(traceId ? { traceId } : {}),
      });
      return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
    }
    if (err instanceof TransientError) {
      req.log.warn({ err }, 'a dependency is unavailable');
      const body = problemFor('unavailable', 'a dependency of the gateway is unavailable; retry with the same deliveryId', {
        instance,
        ...(traceId ? { traceId } : {}),
      });
      return reply.code(503).header('Retry-After', '1').type(PROBLEM_CONTENT_TYPE).send(body);
    }
    const code = codeForFastifyError(err as FastifyError);
    if (code === 'internal') req.log.error({ err }, 'unhandled error');
    // Never echo internals to a client: only fastify's own client-error messages pass through.
    const detail = code === 'internal' ? 'the gateway failed to answer; the error is logged with this trace id' : err.message;
    const body = problemFor(code, detail, { instance, ...(traceId ? { traceId } : {}) });
    return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
  });

  app.setNotFoundHandler((req, reply) => {
    const body = problemFor('not_found', `no route ${req.method} ${req.url.split('?')[0]}`, { instance: req.url });
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(body);
  });

  app.get('/livez', PROBE_ROUTE, async () => ({ status: 'ok' }));
  app.get('/openapi.json', async () => openApiDocument);
  app.get('/readyz', PROBE_ROUTE, async (_req, reply) => {
    const report = await deps.readiness();
    return reply.code(report.ready ? 200 : 503).send(report);
  });

  app.register(async (v1) => {
    v1.addHook('onRequest', async (req) => {
      req.caller = deps.auth.authenticate(req.headers.authorization, req.headers.host);
    });
    refuseUnacceptable(v1);
    registerCreateRoutes(v1, deps);
    registerResourceRoutes(v1, deps);
    registerPolicyRoutes(v1, deps);
    registerApprovalRoutes(v1, deps);
    registerQueueRoutes(v1, deps);
    registerRunRoutes(v1, deps);
    registerAuditRoutes(v1, deps);
  });
  // The web UI's static files sit outside /v1 and its token check; the OpenAPI document is built
  // from the contracts, not from the routes, so they never appear in it.
  app.register((ui) => registerUi(ui, deps.config.JANGAR_UI_DIR));
  return app;
}
