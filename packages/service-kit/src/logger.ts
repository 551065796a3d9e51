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

/**
 * A pino JSON logger that stamps every line with the service name and the active trace.
 *
 * Writes are synchronous: an asynchronous writer keeps a buffer that pino flushes on exit, and
 * when the reader of stdout is gone (EPIPE) that flush retries forever and the process never
 * exits, not even on SIGTERM. A lost stdout only loses log lines.
 */
export function createLogger(service: string, level = 'info'): Logger {
  const destination = pino.destination({ dest: 1, sync: true });
  destination.on('error', () => undefined);
  return pino(
    {
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
    },
    destination,
  );
}

export type { Logger };

/**
 * A launcher that died leaves stdout and stderr without a reader; writing to them (libraries such
 * as knex print with console) must not crash the process into an exit that never completes.
 */
export function ignoreBrokenStdio(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}
