/**
 * One SERVER span per HTTP exchange, so that everything a request causes — its bus messages, its
 * RPC calls, and through them the other services' work — belongs to one trace.
 *
 * The span starts in `onRequest`, so authentication failures are traced too, and ends in
 * `onResponse` with the status actually sent. The rest of the lifecycle is continued with the span
 * active, which reaches the later hooks and their error handling; but body parsing runs on stream
 * events, which lose the context, so each route handler is also wrapped to run with the span active.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contextFromTraceparent, runInSpan, SpanKind, SpanStatusCode, startSpan, traceparentOf, type Span } from '@jangar/service-kit';
import { isProbe } from './probes.js';

interface Exchange {
  span: Span;
  error?: Error;
}

const exchanges = new WeakMap<FastifyRequest, Exchange>();

function finish(req: FastifyRequest, status: number | undefined): void {
  const exchange = exchanges.get(req);
  if (!exchange) return;
  // onRequestAbort and onResponse can both fire for one request; the span ends once.
  exchanges.delete(req);
  const { span, error } = exchange;
  if (status !== undefined) {
    span.setAttribute('http.response.status_code', status);
    // A 4xx is the client's mistake, not a failure of this server (OpenTelemetry HTTP conventions).
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? `HTTP ${status}` });
  }
  span.end();
}

/** Traces every request but the probes as a SERVER span `<METHOD> <route>`; install before any route is added. */
export function traceRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (isProbe(req)) return done();
    const route = req.routeOptions.url;
    const incoming = req.headers.traceparent;
    const span = startSpan(route ? `${req.method} ${route}` : req.method, {
      kind: SpanKind.SERVER,
      parent: contextFromTraceparent(Array.isArray(incoming) ? incoming[0] : incoming),
      attributes: { 'http.request.method': req.method, ...(route ? { 'http.route': route } : {}) },
    });
    exchanges.set(req, { span });
    // Lets a client find the trace of its request, whatever the answer was.
    const traceparent = traceparentOf(span);
    if (traceparent) reply.header('traceparent', traceparent);
    runInSpan(span, done);
  });

  app.addHook('onRoute', (route) => {
    if (route.config?.probe) return;
    const handler = route.handler;
    route.handler = async function (this: FastifyInstance, req, reply) {
      const exchange = exchanges.get(req);
      if (!exchange) return handler.call(this, req, reply);
      return runInSpan(exchange.span, async () => {
        try {
          return await handler.call(this, req, reply);
        } catch (err) {
          // Fastify would run the error handler outside this span; sending the error from inside
          // it keeps the trace id in problem bodies and the error handler's logs.
          if (!(err instanceof Error) || reply.sent) throw err;
          return reply.send(err);
        }
      });
    };
  });

  app.addHook('onError', (req, _reply, err, done) => {
    const exchange = exchanges.get(req);
    if (exchange) {
      exchange.span.recordException(err);
      exchange.error = err;
    }
    done();
  });

  app.addHook('onResponse', (req, reply, done) => {
    finish(req, reply.statusCode);
    done();
  });

  app.addHook('onRequestAbort', (req, done) => {
    finish(req, undefined);
    done();
  });
}
