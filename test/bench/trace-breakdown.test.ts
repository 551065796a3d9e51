import { describe, expect, it } from 'vitest';
import {
  CREATED,
  CREATED_STAGES,
  DUE_TO_CREATED,
  reaching,
  SIDE_STAGES,
  spansByTrace,
  stageBreakdown,
  stageSamples,
  traceIdOf,
  VISIBLE_STAGES,
  type ClientTimes,
  type SpanRecord,
  type StageDefinition,
} from '../../scripts/bench/trace-breakdown.js';

const T = 'a'.repeat(32);
const U = 'b'.repeat(32);
/** A span from `startMs` to `endMs` (epoch ms) as the file exporter writes it. */
const span = (service: string, name: string, startMs: number, endMs: number, traceId = T): SpanRecord => ({
  name,
  service,
  traceId,
  kind: 0,
  startTime: [Math.floor(startMs / 1000), (startMs % 1000) * 1e6],
  endTime: [Math.floor(endMs / 1000), (endMs % 1000) * 1e6],
});

/** A request answered 202 (respond-async) right after the publish, read back as Pending before its run was created. */
const TRACE: SpanRecord[] = [
  span('api-gateway', 'POST /v1/agent-runs', 1_000_002, 1_000_008),
  span('api-gateway', 'publish jangar.req', 1_000_005, 1_000_006),
  span('policy', 'process policy-requests', 1_000_010, 1_000_020),
  span('policy', 'publish jangar.decision', 1_000_018, 1_000_019),
  span('provisioner', 'process provisioner-allowed', 1_000_025, 1_000_050),
  span('provisioner', 'kube create AgentRun', 1_000_030, 1_000_045),
  span('provisioner', 'publish jangar.outcome', 1_000_046, 1_000_047),
  span('status-aggregator', 'observe run', 1_000_049, 1_000_051),
];
const CLIENT: ClientTimes = { traceId: T, scheduledAt: 1_000_000, answeredAt: 1_000_009, visibleAt: 1_000_012 };
const BY_TRACE = new Map([[T, TRACE]]);

const p50s = (stages: readonly StageDefinition[], requests: readonly ClientTimes[] = [CLIENT], byTrace = BY_TRACE) =>
  stageBreakdown(stages, requests, byTrace).map((s) => [s.stage, s.ms.p50]);
const total = (stages: readonly StageDefinition[]) => stageBreakdown(stages, [CLIENT], BY_TRACE).reduce((sum, s) => sum + s.ms.mean, 0);

describe('span breakdown of POST → visible', () => {
  it('runs from the due time to the GET that first answered 200, each stage starting where the one before ended', () => {
    expect(VISIBLE_STAGES[0]?.from).toEqual({ client: 'scheduledAt' });
    expect(VISIBLE_STAGES.at(-1)?.to).toEqual({ client: 'visibleAt' });
    for (let i = 1; i < VISIBLE_STAGES.length; i++) expect(VISIBLE_STAGES[i]?.from).toEqual(VISIBLE_STAGES[i - 1]?.to);
  });

  it('splits the visible time into the gateway receiving, the gateway validating, claiming and publishing, and the answer until GET 200', () => {
    expect(p50s(VISIBLE_STAGES)).toEqual([
      ['client → gateway receives', 2],
      ['gateway: validate, claim, publish', 6],
      ['answer → GET /v1/runs/{id} 200', 4],
    ]);
    expect(total(VISIBLE_STAGES)).toBe(12);
  });

  it('leaves the policy, the provisioner and Kubernetes out of the visible time: the run reads as Pending before they are done', () => {
    const gatewayOnly = TRACE.filter((s) => s.service === 'api-gateway');
    const stages = stageBreakdown(VISIBLE_STAGES, [CLIENT], new Map([[T, gatewayOnly]]));
    expect(stages.every((s) => s.count === 1)).toBe(true);
    expect(stages.reduce((sum, s) => sum + s.ms.mean, 0)).toBe(12);
  });

  it('does not count a request that never became visible in the stage that ends at visibleAt', () => {
    const { visibleAt: _, ...neverVisible } = CLIENT;
    const stages = stageBreakdown(VISIBLE_STAGES, [neverVisible], BY_TRACE);
    expect(stages.map((s) => s.count)).toEqual([1, 1, 0]);
  });
});

describe('span breakdown of POST → created in Kubernetes', () => {
  it('measures the created time from the due time to the end of the provisioner’s kube create AgentRun', () => {
    expect(CREATED).toEqual({ span: 'kube create AgentRun', service: 'provisioner', at: 'end' });
    expect(DUE_TO_CREATED.from).toEqual({ client: 'scheduledAt' });
    expect(DUE_TO_CREATED.to).toEqual(CREATED);
    expect(stageSamples(DUE_TO_CREATED, [CLIENT], BY_TRACE)).toEqual([45]);
  });

  it('runs from the due time to the created mark, each stage starting where the one before ended', () => {
    expect(CREATED_STAGES[0]?.from).toEqual(DUE_TO_CREATED.from);
    expect(CREATED_STAGES.at(-1)?.to).toEqual(CREATED);
    for (let i = 1; i < CREATED_STAGES.length; i++) expect(CREATED_STAGES[i]?.from).toEqual(CREATED_STAGES[i - 1]?.to);
  });

  it('splits the created time into the hops gateway → policy → provisioner → Kubernetes, adding up to it', () => {
    expect(p50s(CREATED_STAGES)).toEqual([
      ['client → gateway receives', 2],
      ['gateway: validate, claim', 3],
      ['bus → policy', 5],
      ['policy: decide, admit', 8],
      ['bus → provisioner', 7],
      ['provisioner: references, binding', 5],
      ['kube create AgentRun', 15],
    ]);
    expect(total(CREATED_STAGES)).toBe(45);
  });

  it('adds up to the mean created time over several requests, whenever the visible GET came', () => {
    const late = TRACE.map((s) => span(s.service, s.name, hrMs(s.startTime) + 100, hrMs(s.endTime) + 130, U));
    const requests: ClientTimes[] = [CLIENT, { traceId: U, scheduledAt: 1_000_090, answeredAt: 1_000_200 }];
    const byTrace = new Map([
      [T, TRACE],
      [U, late],
    ]);
    const created = stageSamples(DUE_TO_CREATED, requests, byTrace);
    const stages = stageBreakdown(CREATED_STAGES, requests, byTrace);
    const mean = created.reduce((s, v) => s + v, 0) / created.length;
    expect(stages.every((s) => s.count === 2)).toBe(true);
    expect(stages.reduce((sum, s) => sum + s.ms.mean, 0)).toBeCloseTo(mean, 6);
  });

  it('takes the created time only over the requests whose trace has the create', () => {
    const uncreated = TRACE.filter((s) => s.service === 'api-gateway').map((s) => ({ ...s, traceId: U }));
    const requests: ClientTimes[] = [CLIENT, { ...CLIENT, traceId: U }];
    const byTrace = new Map([
      [T, TRACE],
      [U, uncreated],
    ]);
    expect(reaching(CREATED, requests, byTrace).map((r) => r.traceId)).toEqual([T]);
    expect(stageSamples(DUE_TO_CREATED, requests, byTrace)).toEqual([45]);
  });

  it('counts a stage only over requests whose trace has both of its marks', () => {
    const withoutPolicy = TRACE.filter((s) => s.service !== 'policy');
    const stages = stageBreakdown(CREATED_STAGES, [CLIENT], new Map([[T, withoutPolicy]]));
    expect(stages.find((s) => s.stage === 'bus → policy')?.count).toBe(0);
    expect(stages.find((s) => s.stage === 'kube create AgentRun')?.count).toBe(1);
  });

  it('uses the earliest span when a trace holds the same span twice', () => {
    const retried = [...TRACE, span('provisioner', 'kube create AgentRun', 1_000_060, 1_000_070)];
    expect(stageSamples(DUE_TO_CREATED, [CLIENT], new Map([[T, retried]]))).toEqual([45]);
  });
});

describe('side stages', () => {
  it('times the answer reaching the client, the outcome after the create, and the aggregator observing the run', () => {
    expect(p50s(SIDE_STAGES)).toEqual([
      ['gateway answers → client has the answer', 1],
      ['kube create → outcome published', 1],
      ['kube create → aggregator observes', 4],
    ]);
  });
});

describe('span file and trace ids', () => {
  it('reads the span file per trace, keeping only the traces asked for and skipping a torn last line', () => {
    const other = { ...TRACE[0], traceId: U };
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

function hrMs(t: [number, number]): number {
  return t[0] * 1000 + t[1] / 1e6;
}
