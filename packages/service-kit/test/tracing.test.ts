import { afterEach, describe, expect, it } from 'vitest';
import { initTracing, shutdownTracing, startSpan, traceparentOf } from '../src/tracing.js';

describe('tracing without an exporter', () => {
  afterEach(() => shutdownTracing());

  it('still gives spans real ids, so logs and bus messages carry the trace', () => {
    initTracing('ids-only', 'none');
    const span = startSpan('work');
    const { traceId, spanId } = span.spanContext();
    span.end();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));
    expect(traceparentOf(span)).toBe(`00-${traceId}-${spanId}-01`);
  });
});
