import { closeSync, openSync, writeSync } from 'node:fs';
import { context, propagation, trace, SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { MsgHdrs } from '@nats-io/transport-node';

/**
 * Writes finished spans as JSON lines, each as it ends, so a test (or the bench) reads the file
 * without a flush; tests read it to check the parent/child chain. The file stays open: an append by
 * path is an open, a write and a close for every span, which is most of what a span costs.
 */
class FileSpanExporter implements SpanExporter {
  private fd: number | undefined;
  constructor(private readonly path: string) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const lines = spans.map((s) =>
      JSON.stringify({
        name: s.name,
        service: s.resource.attributes['service.name'],
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        kind: s.kind,
        attributes: s.attributes,
        startTime: s.startTime,
        endTime: s.endTime,
      }),
    );
    this.fd ??= openSync(this.path, 'a');
    const text = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    for (let written = 0; written < text.length; ) written += writeSync(this.fd, text, written);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

let sdk: NodeSDK | undefined;

/** Where finished spans go: nowhere (ids only), the console, a JSON-lines file, or OTLP over HTTP. */
export type TraceExporterName = 'none' | 'console' | 'file' | 'otlp';

function processorsFor(exporter: TraceExporterName, filePath: string | undefined): SpanProcessor[] {
  switch (exporter) {
    case 'none':
      // NodeSDK registers no tracer provider without a processor, and every span would then be
      // the no-op one: all-zero ids in logs, no traceparent on messages.
      return [new NoopSpanProcessor()];
    case 'console':
      return [new SimpleSpanProcessor(new ConsoleSpanExporter())];
    case 'file':
      if (!filePath) throw new Error('OTEL_EXPORTER_FILE_PATH is required with OTEL_TRACES_EXPORTER=file');
      return [new SimpleSpanProcessor(new FileSpanExporter(filePath))];
    case 'otlp':
      // Endpoint, headers and timeout come from the standard OTEL_EXPORTER_OTLP_* variables.
      return [new BatchSpanProcessor(new OTLPTraceExporter())];
  }
}

/**
 * Starts the OpenTelemetry SDK. Even with no exporter, spans exist so that trace ids reach the
 * logs and travel in NATS headers. Instrumentations stay off: the spans that matter (HTTP,
 * bus, Kubernetes, RPC) are made explicitly where the boundaries are.
 */
export function initTracing(service: string, exporter: TraceExporterName, filePath?: string): void {
  if (sdk) return;
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: processorsFor(exporter, filePath),
    instrumentations: [],
    resourceDetectors: [],
  });
  sdk.start();
}

/** Flushes and stops the SDK. */
export async function shutdownTracing(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}

export const tracer = () => trace.getTracer('jangar');

/** Writes the active trace context into NATS headers (W3C `traceparent`). */
export function injectTrace(headers: MsgHdrs, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, { set: (h, k, v) => h.set(k, v) });
}

/** Reads the trace context a publisher put into NATS headers. */
export function extractTrace(headers: MsgHdrs | undefined): Context {
  if (!headers) return context.active();
  return propagation.extract(context.active(), headers, {
    get: (h, k) => (h.has(k) ? h.get(k) : undefined),
    keys: (h) => h.keys(),
  });
}

/** The id of the active trace, for problem bodies and audit rows. */
export function activeTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}

/**
 * The W3C `traceparent` of `span` (default: the active span), for carriers that are not NATS
 * headers: an HTTP response, an annotation on a Kubernetes object. Undefined without a valid span.
 */
export function traceparentOf(span?: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(span ? trace.setSpan(context.active(), span) : context.active(), carrier);
  return carrier.traceparent;
}

/**
 * The context a `traceparent` string names, to start spans under it (the inverse of
 * `traceparentOf`). An absent or malformed value yields the active context, so the new span simply
 * starts its own trace.
 */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) return context.active();
  return propagation.extract(context.active(), { traceparent });
}

/** Starts a span the caller ends; for work that does not begin and end in one function, like an HTTP exchange. */
export function startSpan(
  name: string,
  opts: { kind?: SpanKind; parent?: Context; attributes?: Record<string, string | number | boolean> } = {},
): Span {
  return tracer().startSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes ?? {} },
    opts.parent ?? context.active(),
  );
}

/** Runs `fn` with `span` active, so the spans started inside it become its children. */
export function runInSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** Runs `fn` inside a new span, recording failures on it. */
export async function withSpan<T>(
  name: string,
  opts: { kind?: SpanKind; parent?: Context; attributes?: Record<string, string | number | boolean> },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes ?? {} },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

export { SpanKind, SpanStatusCode };
export type { Span };
