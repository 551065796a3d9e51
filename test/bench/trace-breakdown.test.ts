import { describe, expect, it } from 'vitest';
import { spansByTrace, stageBreakdown, traceIdOf, VISIBLE_STAGES, type SpanRecord } from '../../scripts/bench/trace-breakdown.js';

const T = 'a'.repeat(32);
/** A span from `startMs` to `endMs` (epoch ms) as the file exporter writes it. */
const span = (service: string, name: string, startMs: number, endMs: number): SpanRecord => ({
  name,
  service,
  traceId: T,
  kind: 0,
  startTime: [Math.floor(startMs / 1000), (startMs % 1000) * 1e6],
  endTime: [Math.floor(endMs / 1000), (endMs % 1000) * 1e6],
});

const TRACE: SpanRecord[] = [
  span('api-gateway', 'POST /v1/agent-runs', 1_000_002, 1_000_060),
  span('api-gateway', 'publish jangar.req', 1_000_005, 1_000_006),
  span('policy', 'process policy-requests', 1_000_010, 1_000_020),
  span('policy', 'publish jangar.decision', 1_000_018, 1_000_019),
  span('provisioner', 'process provisioner-allowed', 1_000_025, 1_000_050),
  span('provisioner', 'kube create AgentRun', 1_000_030, 1_000_045),
  span('provisioner', 'publish jangar.outcome', 1_000_046, 1_000_047),
];

describe('span breakdown of POST → visible', () => {
  it('splits the visible time into consecutive stages that add up to it', () => {
    const stages = stageBreakdown(VISIBLE_STAGES, [{ traceId: T, scheduledAt: 1_000_000, visibleAt: 1_000_070 }], new Map([[T, TRACE]]));
    expect(stages.map((s) => [s.stage, s.ms.p50])).toEqual([
      ['client → gateway receives', 2],
      ['gateway: validate, claim', 3],
      ['bus → policy', 5],
      ['policy: decide, admit', 8],
      ['bus → provisioner', 7],
      ['provisioner: references, binding', 5],
      ['kube create AgentRun', 15],
      ['provisioner → outcome published', 1],
      ['outcome → GET /v1/runs/{id} 200', 24],
    ]);
    expect(stages.reduce((sum, s) => sum + s.ms.p50, 0)).toBe(70);
  });

  it('counts a stage only over requests whose trace has both of its marks', () => {
    const withoutPolicy = TRACE.filter((s) => s.service !== 'policy');
    const stages = stageBreakdown(
      VISIBLE_STAGES,
      [{ traceId: T, scheduledAt: 1_000_000, visibleAt: 1_000_070 }],
      new Map([[T, withoutPolicy]]),
    );
    expect(stages.find((s) => s.stage === 'bus → policy')?.count).toBe(0);
    expect(stages.find((s) => s.stage === 'kube create AgentRun')?.count).toBe(1);
  });

  it('reads the span file per trace, keeping only the traces asked for and skipping a torn last line', () => {
    const other = { ...TRACE[0], traceId: 'b'.repeat(32) };
    const text = [JSON.stringify(TRACE[0]), JSON.stringify(other), JSON.stringify(TRACE[1]), '{"name":"torn'].join('\n');
    const byTrace = spansByTrace(text, new Set([T]));
    expect([...byTrace.keys()]).toEqual([T]);
    expect(byTrace.get(T)?.map((s) => s.name)).toEqual(['POST /v1/agent-runs', 'publish jangar.req']);
  });

  it('takes the trace id from a W3C traceparent and nothing else', () => {
    expect(traceIdOf(`00-${T}-${'c'.repeat(16)}-01`)).toBe(T);
    expect(traceIdOf('garbage')).toBeUndefined();
    expect(traceIdOf(null)).toBeUndefined();
  });
});
