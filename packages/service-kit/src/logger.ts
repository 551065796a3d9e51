import { pino, type Logger } from 'pino';
import { trace } from '@opentelemetry/api';

/** Paths never written to a log, whatever a caller passes. */
const REDACT = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'DATABASE_URL',
  'databaseUrl',
  'secret',
  '*.secret',
];

/** A pino JSON logger that stamps every line with the service name and the active trace. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const ctx = span.spanContext();
      return { trace_id: ctx.traceId, span_id: ctx.spanId };
    },
  });
}

export type { Logger };
