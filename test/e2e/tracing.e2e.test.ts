import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMERS, JANGAR_ANNOTATIONS, SUBJECTS } from '@jangar/contracts';
import { SpanKind } from '@jangar/service-kit';
import { api, createAgent, eventually, testStack } from '../support/stack.js';

/** One line of the file exporter. */
interface SpanLine {
  name: string;
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: SpanKind;
  attributes: Record<string, unknown>;
}

type Want = Pick<SpanLine, 'service' | 'kind' | 'name'>;

const SERVICES = ['api-gateway', 'policy', 'provisioner', 'status-aggregator', 'audit'];

let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;
let spanDir: string;
let spanFile: string;

/** Every finished span of one trace; a line still being appended is left for the next read. */
async function spansOf(traceId: string): Promise<SpanLine[]> {
  const text = await readFile(spanFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as SpanLine)
    .filter((s) => s.traceId === traceId);
}

const describeWant = (w: Want) => `${w.service} ${SpanKind[w.kind]} "${w.name}"`;

/** The children of `parent` that match `want`, by parent span id. */
function childrenOf(spans: SpanLine[], parent: SpanLine, want: Want): SpanLine[] {
  return spans.filter(
    (s) => s.parentSpanId === parent.spanId && s.service === want.service && s.kind === want.kind && s.name === want.name,
  );
}

/** The one child of `parent` matching `want`; throws (so `eventually` retries) while it is missing. */
function childOf(spans: SpanLine[], parent: SpanLine, want: Want): SpanLine {
  const found = childrenOf(spans, parent, want);
  if (found.length !== 1) throw new Error(`${describeWant(want)} under "${parent.name}" (found ${found.length})`);
  return found[0]!;
}

/** The W3C traceparent a response carried: version, trace id, span id, flags. */
function traceOfResponse(res: { headers: Headers }): { traceId: string; spanId: string } {
  const header = res.headers.get('traceparent');
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(header ?? '');
  if (!match) throw new Error(`no valid traceparent header on the response: ${header}`);
  return { traceId: match[1]!, spanId: match[2]! };
}

beforeAll(async () => {
  spanDir = await mkdtemp(path.join(os.tmpdir(), 'jangar-spans-'));
  spanFile = path.join(spanDir, 'spans.jsonl');
  stack = await testStack({ env: { OTEL_TRACES_EXPORTER: 'file', OTEL_EXPORTER_FILE_PATH: spanFile } });
  dev = api(stack.gatewayUrl, stack.devToken);
  await createAgent(stack, 'team-a');
});

afterAll(async () => {
  await stack?.close();
  if (spanDir) await rm(spanDir, { recursive: true, force: true });
});

describe('one trace per request', () => {
  it('links gateway → policy → provisioner → Kubernetes → status-aggregator → audit by parent span ids', async () => {
    const res = await dev.post('/v1/agent-runs', {
      deliveryId: 'trace-run-1',
      metadata: { namespace: 'team-a' },
      spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'trace me' } } },
    });
    expect(res.status).toBe(201);
    const { traceId, spanId } = traceOfResponse(res);
    const runName = res.json.metadata.name as string;

    const chain = await eventually(
      'the whole chain of spans of the request',
      async () => {
        const spans = await spansOf(traceId);
        const server = spans.find((s) => s.spanId === spanId);
        if (!server) throw new Error('the gateway SERVER span');
        const gatewayPublish = childOf(spans, server, {
          service: 'api-gateway',
          kind: SpanKind.PRODUCER,
          name: `publish ${SUBJECTS.request.prefix}`,
        });
        const policyConsume = childOf(spans, gatewayPublish, {
          service: 'policy',
          kind: SpanKind.CONSUMER,
          name: `process ${CONSUMERS.policyRequests.durable}`,
        });
        const decision = childOf(spans, policyConsume, {
          service: 'policy',
          kind: SpanKind.PRODUCER,
          name: `publish ${SUBJECTS.decision.prefix}`,
        });
        const auditDecision = childOf(spans, decision, {
          service: 'audit',
          kind: SpanKind.CONSUMER,
          name: `process ${CONSUMERS.auditDecisions.durable}`,
        });
        const provisionerConsume = childOf(spans, decision, {
          service: 'provisioner',
          kind: SpanKind.CONSUMER,
          name: `process ${CONSUMERS.provisionerAllowed.durable}`,
        });
        // The Agent is found in the provisioner's reference cache (no call); a missing one is asked of
        // the API server, which the rejected request below shows.
        const kubeCreate = childOf(spans, provisionerConsume, {
          service: 'provisioner',
          kind: SpanKind.CLIENT,
          name: 'kube create AgentRun',
        });
        const outcome = childOf(spans, provisionerConsume, {
          service: 'provisioner',
          kind: SpanKind.PRODUCER,
          name: `publish ${SUBJECTS.outcome.prefix}`,
        });
        const auditOutcome = childOf(spans, outcome, {
          service: 'audit',
          kind: SpanKind.CONSUMER,
          name: `process ${CONSUMERS.auditOutcomes.durable}`,
        });
        // The aggregator joins through the annotation on the object; wait for the run's last phase.
        const observed = childrenOf(spans, provisionerConsume, {
          service: 'status-aggregator',
          kind: SpanKind.INTERNAL,
          name: 'observe run',
        });
        const succeeded = observed.find((s) => s.attributes['jangar.run.phase'] === 'Succeeded');
        if (!succeeded)
          throw new Error(`the Succeeded observation (seen: ${observed.map((s) => s.attributes['jangar.run.phase']).join(', ')})`);
        const runStatus = childOf(spans, succeeded, {
          service: 'status-aggregator',
          kind: SpanKind.PRODUCER,
          name: `publish ${SUBJECTS.runStatus.prefix}`,
        });
        const auditRunStatus = childOf(spans, runStatus, {
          service: 'audit',
          kind: SpanKind.CONSUMER,
          name: `process ${CONSUMERS.auditRunStatus.durable}`,
        });
        return {
          spans,
          server,
          gatewayPublish,
          policyConsume,
          decision,
          auditDecision,
          provisionerConsume,
          kubeCreate,
          outcome,
          auditOutcome,
          observed,
          auditRunStatus,
        };
      },
      30_000,
    );

    expect(new Set(chain.spans.map((s) => s.service))).toEqual(new Set(SERVICES));
    expect(chain.server).toMatchObject({
      service: 'api-gateway',
      kind: SpanKind.SERVER,
      name: 'POST /v1/agent-runs',
      attributes: { 'http.request.method': 'POST', 'http.route': '/v1/agent-runs', 'http.response.status_code': 201 },
    });
    // A root span: the client sent no traceparent.
    expect(chain.server.parentSpanId).toBeUndefined();
    expect(chain.kubeCreate.attributes).toMatchObject({ 'k8s.namespace.name': 'team-a', 'k8s.object.name': runName });
    expect(chain.kubeCreate.attributes).not.toHaveProperty('http.response.status_code');
    // Every phase the aggregator published hangs off the provisioner's span, through the annotation.
    expect(res.json.metadata.annotations[JANGAR_ANNOTATIONS.traceparent]).toBe(`00-${traceId}-${chain.provisionerConsume.spanId}-01`);
    expect(chain.observed.map((s) => s.attributes['jangar.run.phase'])).toEqual(expect.arrayContaining(['Succeeded']));
    for (const observe of chain.observed) {
      const published = childrenOf(chain.spans, observe, {
        service: 'status-aggregator',
        kind: SpanKind.PRODUCER,
        name: `publish ${SUBJECTS.runStatus.prefix}`,
      });
      expect(published, `publish under the ${String(observe.attributes['jangar.run.phase'])} observation`).toHaveLength(1);
    }
  });

  it('puts the trace id into the problem body of a request the gateway refuses', async () => {
    const res = await dev.post('/v1/agent-runs', { deliveryId: 'trace-run-bad', metadata: { namespace: 'team-a' }, spec: {} });
    expect(res.status).toBe(400);
    const { traceId, spanId } = traceOfResponse(res);
    expect(res.json).toMatchObject({ code: 'validation_failed', traceId });
    const server = await eventually('the gateway SERVER span', async () => (await spansOf(traceId)).find((s) => s.spanId === spanId));
    expect(server).toMatchObject({ name: 'POST /v1/agent-runs', attributes: { 'http.response.status_code': 400 } });
  });

  it('traces a request the provisioner rejects, down to the Kubernetes answer', async () => {
    const res = await dev.post('/v1/agent-runs', {
      deliveryId: 'trace-run-ghost',
      metadata: { namespace: 'team-a' },
      spec: { agentRef: { name: 'ghost' }, runtime: { type: 'job' }, implementation: { inline: { text: 'nobody runs me' } } },
    });
    expect(res.status).toBe(422);
    const { traceId, spanId } = traceOfResponse(res);

    const spans = await eventually('the spans of the rejected request', async () => {
      const spans = await spansOf(traceId);
      const done = spans.some((s) => s.spanId === spanId) && spans.some((s) => s.name === 'kube get Agent');
      return done ? spans : undefined;
    });
    expect(spans.find((s) => s.spanId === spanId)).toMatchObject({
      name: 'POST /v1/agent-runs',
      attributes: { 'http.response.status_code': 422 },
    });
    // A missing reference is an answer of the API server, not a failure of the call.
    expect(spans.find((s) => s.name === 'kube get Agent')!.attributes).toMatchObject({
      'k8s.object.name': 'ghost',
      'http.response.status_code': 404,
    });
    expect(spans.some((s) => s.name.startsWith('kube create'))).toBe(false);
  });

  it('traces a request refused before it reaches a handler', async () => {
    const res = await api(stack.gatewayUrl, 'not-a-token').get('/v1/runs/nothing');
    expect(res.status).toBe(401);
    const { traceId, spanId } = traceOfResponse(res);
    expect(res.json).toMatchObject({ code: 'unauthorized', traceId });
    const server = await eventually('the gateway SERVER span', async () => (await spansOf(traceId)).find((s) => s.spanId === spanId));
    expect(server).toMatchObject({
      name: 'GET /v1/runs/:id',
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/v1/runs/:id', 'http.response.status_code': 401 },
    });
  });
});
