/**
 * Where a request's time goes, from the spans the services write (OTEL_TRACES_EXPORTER=file): each
 * trace's span starts and ends mark the hops gateway → policy → provisioner → Kubernetes →
 * gateway answer, and the client's own timestamps mark the ends. Pure: spans in, stages out.
 */
import { summarize, type Latency } from './stats.js';

/** A span as the file exporter writes it (times are OpenTelemetry HrTime: [seconds, nanoseconds]). */
export interface SpanRecord {
  name: string;
  service: string;
  traceId: string;
  kind: number;
  attributes?: Record<string, unknown>;
  startTime: [number, number];
  endTime: [number, number];
}

/** One request as the client saw it (epoch milliseconds). */
export interface ClientTimes {
  traceId: string;
  scheduledAt: number;
  visibleAt: number;
}

/** The marks a stage runs between: a client time, or the start or end of a named span of a service. */
type Mark = { client: 'scheduledAt' | 'visibleAt' } | { span: string; service: string; at: 'start' | 'end' };

export interface StageDefinition {
  stage: string;
  from: Mark;
  to: Mark;
}

const span = (service: string, name: string, at: 'start' | 'end'): Mark => ({ span: name, service, at });

/** The hops of `POST /v1/agent-runs` until the run is visible, in order; consecutive, so their means add up to the total's. */
export const VISIBLE_STAGES: StageDefinition[] = [
  { stage: 'client → gateway receives', from: { client: 'scheduledAt' }, to: span('api-gateway', 'POST /v1/agent-runs', 'start') },
  {
    stage: 'gateway: validate, claim',
    from: span('api-gateway', 'POST /v1/agent-runs', 'start'),
    to: span('api-gateway', 'publish jangar.req', 'start'),
  },
  {
    stage: 'bus → policy',
    from: span('api-gateway', 'publish jangar.req', 'start'),
    to: span('policy', 'process policy-requests', 'start'),
  },
  {
    stage: 'policy: decide, admit',
    from: span('policy', 'process policy-requests', 'start'),
    to: span('policy', 'publish jangar.decision', 'start'),
  },
  {
    stage: 'bus → provisioner',
    from: span('policy', 'publish jangar.decision', 'start'),
    to: span('provisioner', 'process provisioner-allowed', 'start'),
  },
  {
    stage: 'provisioner: references, binding',
    from: span('provisioner', 'process provisioner-allowed', 'start'),
    to: span('provisioner', 'kube create AgentRun', 'start'),
  },
  {
    stage: 'kube create AgentRun',
    from: span('provisioner', 'kube create AgentRun', 'start'),
    to: span('provisioner', 'kube create AgentRun', 'end'),
  },
  {
    stage: 'provisioner → outcome published',
    from: span('provisioner', 'kube create AgentRun', 'end'),
    to: span('provisioner', 'publish jangar.outcome', 'start'),
  },
  // A 201 is answered after the outcome, a 202 before it (its wait budget ran out): either way the
  // run is readable once the outcome is stored, so this stage runs to the GET's 200 whatever the answer was.
  { stage: 'outcome → GET /v1/runs/{id} 200', from: span('provisioner', 'publish jangar.outcome', 'start'), to: { client: 'visibleAt' } },
];

/** Not on the client's path: when the gateway answered, and how far behind the aggregator's informer was. */
export const SIDE_STAGES: StageDefinition[] = [
  { stage: 'due → gateway answered (201 or 202)', from: { client: 'scheduledAt' }, to: span('api-gateway', 'POST /v1/agent-runs', 'end') },
  {
    stage: 'kube create → aggregator observes',
    from: span('provisioner', 'kube create AgentRun', 'end'),
    to: span('status-aggregator', 'observe run', 'start'),
  },
];

export interface StageSummary {
  stage: string;
  /** Requests whose trace had both marks. */
  count: number;
  ms: Latency;
}

const hrMs = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

/** The time of a mark in one trace: the earliest matching span's start or end. */
function markTime(mark: Mark, client: ClientTimes, spans: readonly SpanRecord[]): number | undefined {
  if ('client' in mark) return client[mark.client];
  const matching = spans.filter((s) => s.name === mark.span && s.service === mark.service);
  if (matching.length === 0) return undefined;
  return Math.min(...matching.map((s) => hrMs(mark.at === 'start' ? s.startTime : s.endTime)));
}

/** Each stage's durations over the requests whose traces have both of its marks. */
export function stageBreakdown(
  stages: readonly StageDefinition[],
  requests: readonly ClientTimes[],
  spansByTrace: ReadonlyMap<string, readonly SpanRecord[]>,
): StageSummary[] {
  return stages.map((def) => {
    const samples: number[] = [];
    for (const r of requests) {
      const spans = spansByTrace.get(r.traceId) ?? [];
      const from = markTime(def.from, r, spans);
      const to = markTime(def.to, r, spans);
      if (from !== undefined && to !== undefined) samples.push(to - from);
    }
    return { stage: def.stage, count: samples.length, ms: summarize(samples) };
  });
}

/** Parses the exporter's JSON lines into spans per trace, keeping only `traceIds` (a torn last line is skipped). */
export function spansByTrace(jsonLines: string, traceIds: ReadonlySet<string>): Map<string, SpanRecord[]> {
  const out = new Map<string, SpanRecord[]>();
  for (const line of jsonLines.split('\n')) {
    if (line.trim() === '') continue;
    let s: SpanRecord;
    try {
      s = JSON.parse(line) as SpanRecord;
    } catch {
      continue;
    }
    if (!traceIds.has(s.traceId)) continue;
    out.set(s.traceId, [...(out.get(s.traceId) ?? []), s]);
  }
  return out;
}

/** The trace id of a W3C `traceparent` header (`00-<trace>-<span>-<flags>`). */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  return /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent ?? '')?.[1];
}
