/**
 * Where a request's time goes, from the spans the services write (OTEL_TRACES_EXPORTER=file): each
 * trace's span starts and ends mark the hops gateway → answer → readable run, and gateway → policy →
 * provisioner → Kubernetes, and the client's own timestamps mark the ends. Pure: spans in, stages out.
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

/** One request as the client saw it (epoch milliseconds); a time it never reached is absent. */
export interface ClientTimes {
  traceId: string;
  /** When the open loop was due to send it. */
  scheduledAt: number;
  /** When the POST's answer had been read. */
  answeredAt?: number;
  /** When the first GET /v1/runs/{id} answered 200. */
  visibleAt?: number;
}

/** The marks a stage runs between: a client time, or the start or end of a named span of a service. */
export type Mark = { client: 'scheduledAt' | 'answeredAt' | 'visibleAt' } | { span: string; service: string; at: 'start' | 'end' };

export interface StageDefinition {
  stage: string;
  from: Mark;
  to: Mark;
}

const span = (service: string, name: string, at: 'start' | 'end'): Mark => ({ span: name, service, at });

const DUE: Mark = { client: 'scheduledAt' };
const POST_START = span('api-gateway', 'POST /v1/agent-runs', 'start');
const POST_END = span('api-gateway', 'POST /v1/agent-runs', 'end');

/** When the run exists in Kubernetes: the end of the provisioner's create of the object. */
export const CREATED: Mark = span('provisioner', 'kube create AgentRun', 'end');

/** The created time of a request: from its due time until the run exists in Kubernetes. */
export const DUE_TO_CREATED: StageDefinition = { stage: 'due → created in Kubernetes', from: DUE, to: CREATED };

/**
 * The hops of `POST /v1/agent-runs` until the run reads 200 through GET /v1/runs/{id}, in order;
 * consecutive, so their means add up to the visible time's. With `Prefer: respond-async` the
 * gateway answers once the request is claimed and published, and the run reads (Pending) from then
 * on, so nothing after the publish is on this path.
 */
export const VISIBLE_STAGES: StageDefinition[] = [
  { stage: 'client → gateway receives', from: DUE, to: POST_START },
  { stage: 'gateway: validate, claim, publish', from: POST_START, to: POST_END },
  { stage: 'answer → GET /v1/runs/{id} 200', from: POST_END, to: { client: 'visibleAt' } },
];

/** The hops from the POST until the run exists in Kubernetes, in order; consecutive, so their means add up to the created time's. */
export const CREATED_STAGES: StageDefinition[] = [
  { stage: 'client → gateway receives', from: DUE, to: POST_START },
  { stage: 'gateway: validate, claim', from: POST_START, to: span('api-gateway', 'publish jangar.req', 'start') },
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
  { stage: 'kube create AgentRun', from: span('provisioner', 'kube create AgentRun', 'start'), to: CREATED },
];

/**
 * Not a path of their own: how much of "answer → GET 200" is the answer reaching the client, how soon
 * after the create the outcome went out, and how far behind the aggregator's informer was.
 */
export const SIDE_STAGES: StageDefinition[] = [
  { stage: 'gateway answers → client has the answer', from: POST_END, to: { client: 'answeredAt' } },
  { stage: 'kube create → outcome published', from: CREATED, to: span('provisioner', 'publish jangar.outcome', 'start') },
  { stage: 'kube create → aggregator observes', from: CREATED, to: span('status-aggregator', 'observe run', 'start') },
];

export interface StageSummary {
  stage: string;
  /** Requests whose trace had both marks. */
  count: number;
  ms: Latency;
}

const hrMs = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

/** The time of a mark in one trace: the client's time, or the earliest matching span's start or end. */
function markTime(mark: Mark, client: ClientTimes, spans: readonly SpanRecord[]): number | undefined {
  if ('client' in mark) return client[mark.client];
  const matching = spans.filter((s) => s.name === mark.span && s.service === mark.service);
  if (matching.length === 0) return undefined;
  return Math.min(...matching.map((s) => hrMs(mark.at === 'start' ? s.startTime : s.endTime)));
}

/** The requests that reached `mark`: a client time they have, or a span their trace holds. */
export function reaching(
  mark: Mark,
  requests: readonly ClientTimes[],
  spansByTrace: ReadonlyMap<string, readonly SpanRecord[]>,
): ClientTimes[] {
  return requests.filter((r) => markTime(mark, r, spansByTrace.get(r.traceId) ?? []) !== undefined);
}

/** One stage's durations, over the requests that have both of its marks. */
export function stageSamples(
  def: StageDefinition,
  requests: readonly ClientTimes[],
  spansByTrace: ReadonlyMap<string, readonly SpanRecord[]>,
): number[] {
  const samples: number[] = [];
  for (const r of requests) {
    const spans = spansByTrace.get(r.traceId) ?? [];
    const from = markTime(def.from, r, spans);
    const to = markTime(def.to, r, spans);
    if (from !== undefined && to !== undefined) samples.push(to - from);
  }
  return samples;
}

/** Each stage's durations over the requests whose traces have both of its marks. */
export function stageBreakdown(
  stages: readonly StageDefinition[],
  requests: readonly ClientTimes[],
  spansByTrace: ReadonlyMap<string, readonly SpanRecord[]>,
): StageSummary[] {
  return stages.map((def) => {
    const samples = stageSamples(def, requests, spansByTrace);
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
