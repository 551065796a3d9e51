/**
 * Route options for the probes (`/livez`, `/readyz`). An orchestrator calls them every few seconds
 * per replica, so what the API's routes need per request — a SERVER span and its `traceparent`, the
 * latency histogram, the "request completed" log line — would only be noise in
 * traces, metrics and logs, and is most of what a `/livez` costs. A probe is marked in its route
 * config; the tracing and metrics hooks pass it by, and its request logs are raised to `warn`, so
 * a probe that fails still logs. Routes under /v1 never carry the mark.
 */
import type { FastifyRequest, RouteShorthandOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A health probe: not traced, not in the latency histogram, no per-request info logs. */
    probe?: boolean;
  }
}

export const PROBE_ROUTE = { config: { probe: true }, logLevel: 'warn' } as const satisfies RouteShorthandOptions;

/** True when the request was routed to a probe. */
export function isProbe(req: FastifyRequest): boolean {
  return req.routeOptions.config?.probe === true;
}
