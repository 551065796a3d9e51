/** The printed sections of the ceiling, visible and memory phases (the summary table comes last). */
import type { CeilingResults } from './ceiling.js';
import { cpuCells } from './cpu.js';
import { formatTable } from './format.js';
import type { MemoryResults } from './memory.js';
import type { Latency } from './stats.js';
import type { StageSummary } from './trace-breakdown.js';
import type { VisibleResults } from './visible.js';

const ms = (n: number) => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const rate = (n: number) => n.toFixed(0);
const indent = (s: string) => s.replace(/^/gm, '  ');
const totalCores = (cores: Record<string, number>) =>
  Object.values(cores)
    .reduce((t, c) => t + c, 0)
    .toFixed(2);
const lat = (l: Latency) => [ms(l.p50), ms(l.p99)];

export function renderCeiling(c: CeilingResults): string {
  const accept = formatTable(
    ['concurrency', 'gateway 2xx/s', 'p50', 'p99', 'pg insert/s', 'p50', 'p99', 'js publish/s', 'p50', 'p99', 'ratio', 'load'],
    c.accept.map((s) => [
      String(s.concurrency),
      rate(s.gateway.acceptedPerSec),
      ...lat(s.gateway.latencyMs),
      rate(s.postgres.perSec),
      ...lat(s.postgres.latencyMs),
      rate(s.jetstream.perSec),
      ...lat(s.jetstream.latencyMs),
      (s.gateway.acceptedPerSec / s.ceiling.perSec).toFixed(2),
      s.loadAvg[0]?.toFixed(1) ?? '-',
    ]),
  );
  const get = formatTable(
    ['concurrency', 'gateway /livez 2xx/s', 'p50', 'p99', 'bare fastify 2xx/s', 'p50', 'p99', 'ratio', 'load'],
    c.trivialGet.map((s) => [
      String(s.concurrency),
      rate(s.gateway.acceptedPerSec),
      ...lat(s.gateway.latencyMs),
      rate(s.fastify.acceptedPerSec),
      ...lat(s.fastify.latencyMs),
      (s.gateway.acceptedPerSec / s.fastify.acceptedPerSec).toFixed(2),
      s.loadAvg[0]?.toFixed(1) ?? '-',
    ]),
  );
  // Older result files have no CPU figures; the table is left out for them.
  const groups = ['api-gateway', 'postgres', 'nats-server', 'bench'];
  const steps = [
    ['gateway accept', 'gateway'],
    ['bare pg insert', 'postgres'],
    ['bare js publish', 'jetstream'],
  ] as const;
  const cpu = formatTable(
    ['step', 'concurrency', ...groups, 'other', 'total'],
    c.accept.flatMap(({ concurrency, cpuMsPerAnswer }) =>
      cpuMsPerAnswer ? steps.map(([label, key]) => [label, String(concurrency), ...cpuCells(cpuMsPerAnswer[key], groups)]) : [],
    ),
  );
  return [
    `Accept path vs its ceiling (gateway with JANGAR_WAIT_MS=0 and policy stopped; bare ops through a pg pool of ${c.poolSize} and one NATS connection; ms)`,
    indent(accept),
    '',
    'CPU ms per answer (per operation for the bare ones), by process, from /proc over each step (bench = the load generator or the bare client)',
    indent(cpu),
    '',
    'A trivial GET: the gateway against a bare Fastify hello-world (ms)',
    indent(get),
  ].join('\n');
}

const stageTable = (stages: readonly StageSummary[]) =>
  formatTable(
    ['stage', 'requests', 'p50 ms', 'p99 ms', 'mean ms'],
    stages.map((s) => [s.stage, String(s.count), ms(s.ms.p50), ms(s.ms.p99), ms(s.ms.mean)]),
  );

export function renderVisible(v: VisibleResults): string {
  return [
    `POST → run visible through GET /v1/runs/{id}, open loop at ${v.ratePerSec}/s for ${v.durationSec} s ` +
      `(sent ${v.fired} at ${v.achievedRatePerSec}/s, scheduler lag p99 ${ms(v.fireLagMs.p99)} ms; load ${v.loadAvg[0] ?? '-'})`,
    `  answers ${JSON.stringify(v.statusCounts)} (${v.asyncAnswers} applied Prefer: respond-async), ${v.errors} errors, ` +
      `${v.notVisible} never visible, ${v.getsPerRun} GETs per run`,
    `  answered: p50 ${ms(v.answerMs.p50)} ms, p99 ${ms(v.answerMs.p99)} ms; visible: p50 ${ms(v.visibleMs.p50)} ms, p99 ${ms(v.visibleMs.p99)} ms` +
      (v.notVisible > 0
        ? ` (lower bounds: ${v.notVisible} never visible within 120 s count as 120 s; over the visible ones only p50 ${ms(v.visibleOnlyMs.p50)} ms, p99 ${ms(v.visibleOnlyMs.p99)} ms)`
        : ''),
    // Older result files have no CPU figures.
    ...(v.coresByProcess
      ? [
          `  cores used while the requests were due, by process (CPU ÷ wall time, from /proc; ${totalCores(v.coresByProcess)} in all): ` +
            Object.entries(v.coresByProcess)
              .map(([g, c]) => `${g} ${c.toFixed(2)}`)
              .join(', '),
        ]
      : []),
    `  created in Kubernetes (end of the provisioner's kube create AgentRun span, ${v.created} of ${v.fired} traces have it): ` +
      `p50 ${ms(v.createdMs.p50)} ms, p99 ${ms(v.createdMs.p99)} ms`,
    `  due → visible, where the time goes (from the services' spans, for the requests that became visible; consecutive stages, their means add up to their mean, ${ms(v.visibleOnlyMs.mean)} ms):`,
    indent(indent(stageTable(v.stages))),
    `  due → created in Kubernetes, where the time goes (for the requests whose trace has the create; consecutive stages, their means add up to their mean, ${ms(v.createdMs.mean)} ms):`,
    indent(indent(stageTable(v.createdStages))),
    '  aside (not on either path):',
    indent(indent(stageTable(v.sideStages))),
  ].join('\n');
}

export function renderMemory(m: MemoryResults): string {
  const groups = [...new Set([...Object.keys(m.idle), ...Object.keys(m.live)])].sort();
  const table = formatTable(
    ['process', 'processes', 'RSS idle', 'Pss idle', 'RSS just created', 'RSS live', 'RSS steady', 'Pss steady'],
    groups.map((g) => [
      g,
      String(m.live[g]?.processes ?? m.idle[g]?.processes ?? 0),
      m.idle[g]?.rssMB.toFixed(1) ?? '-',
      m.idle[g]?.pssMB.toFixed(1) ?? '-',
      m.created[g]?.rssMB.toFixed(1) ?? '-',
      m.live[g]?.rssMB.toFixed(1) ?? '-',
      m.steady[g]?.rssMB.toFixed(1) ?? '-',
      m.steady[g]?.pssMB.toFixed(1) ?? '-',
    ]),
  );
  return [
    `Memory, idle and with ${m.liveRuns} live (Running) runs watched: created in ${m.createSec.toFixed(1)} s, ` +
      `${m.observedRuns} of them stored as Running after ${m.observedSec.toFixed(1)} s (load ${m.loadAvgIdle[0] ?? '-'} idle, ${m.loadAvgLive[0] ?? '-'} live)`,
    '  MB; idle = just started, just created = after the last create, live = every run stored as Running (or 10 min passed) and the queues empty,',
    `  steady = ${m.steadyAfterSec} s later, the runs still watched and nothing sent (status-aggregator RSS on the way: ${m.aggregatorRssTrail.map((r) => r.toFixed(0)).join(' ')})`,
    "  (bench = this process and the load generator; other = the hello-world baseline and tsx's esbuild helpers)",
    indent(table),
  ].join('\n');
}
