/**
 * Turns each phase's results into the rows of the summary table, each with its baseline and goal
 * (issue #10): what a figure is compared with is decided here, once. Pure: results in, rows out.
 */
import type { BenchResults } from './report.js';
import { judge, type Measure, type SummaryRow } from './summary.js';

/** The goals the summary judges against. */
export const GOALS = {
  acceptVsCeiling: { on: 'ratio', op: '>=', value: 0.6 },
  livezVsFastify: { on: 'ratio', op: '>=', value: 0.7 },
  replayVsFirst: { on: 'ratio', op: '<=', value: 0.3 },
  readsLargeVsSmall: { on: 'ratio', op: '<=', value: 1.5 },
  visibleP99Ms: { on: 'figure', op: '<', value: 50 },
  aggregatorRssMB: { on: 'figure', op: '<', value: 300 },
} as const satisfies Record<string, Measure['goal']>;

const runs = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** Every measure the results hold, judged. */
export function summaryRows(r: BenchResults): SummaryRow[] {
  const m: Measure[] = [];
  for (const s of r.ceiling?.accept ?? []) {
    const baseline = { value: s.ceiling.perSec, what: `bare ${s.ceiling.of === 'postgres' ? 'postgres insert' : 'jetstream publish'}` };
    m.push({
      measure: `accept POST /v1/agent-runs (202) @${s.concurrency}`,
      phase: 'ceiling',
      figure: s.gateway.acceptedPerSec,
      unit: 'req/s',
      baseline,
      goal: GOALS.acceptVsCeiling,
    });
    // The same ceiling under the whole pipeline (the writes phase's 201s): how far the full path is from it.
    const first = r.first?.find((f) => f.connections === s.concurrency);
    if (first)
      m.push({
        measure: `  first request, whole pipeline (201) @${s.concurrency}`,
        phase: 'writes',
        figure: first.acceptedPerSec,
        unit: 'req/s',
        baseline,
      });
  }
  for (const s of r.ceiling?.trivialGet ?? []) {
    m.push({
      measure: `GET /livez @${s.concurrency}`,
      phase: 'ceiling',
      figure: s.gateway.acceptedPerSec,
      unit: 'req/s',
      baseline: { value: s.fastify.acceptedPerSec, what: 'bare fastify' },
      goal: GOALS.livezVsFastify,
    });
  }
  if (r.visible) {
    const v = r.visible;
    const bound = v.notVisible > 0 ? ` (≥: ${v.notVisible} of ${v.fired} never visible)` : '';
    // A run with the pipeline at a lower priority measures something else (priority.ts), and says so.
    const niced = r.config.pipelineNice > 0 ? `, pipeline at nice ${r.config.pipelineNice}` : '';
    const what = `POST → visible in GET /v1/runs/{id} @${v.ratePerSec}/s${niced}${bound}`;
    m.push({ measure: `${what}, p50`, phase: 'visible', figure: v.visibleMs.p50, unit: 'ms' });
    m.push({ measure: `${what}, p99`, phase: 'visible', figure: v.visibleMs.p99, unit: 'ms', goal: GOALS.visibleP99Ms });
    // When the run exists in Kubernetes (from the spans): shown beside the visible time, not judged.
    const createdWhat = `POST → created in Kubernetes @${v.ratePerSec}/s${v.created < v.fired ? ` (${v.created} of ${v.fired} seen created)` : ''}`;
    m.push({ measure: `${createdWhat}, p50`, phase: 'visible', figure: v.createdMs.p50, unit: 'ms' });
    m.push({ measure: `${createdWhat}, p99`, phase: 'visible', figure: v.createdMs.p99, unit: 'ms' });
  }
  for (const f of r.first ?? []) {
    const replay = r.replay?.find((x) => x.connections === f.connections);
    if (!replay) continue;
    for (const p of ['p50', 'p99'] as const)
      m.push({
        measure: `replay ${p} @${f.connections}`,
        phase: 'writes',
        figure: replay.latencyMs[p],
        unit: 'ms',
        baseline: { value: f.latencyMs[p], what: `first ${p}` },
        goal: GOALS.replayVsFirst,
      });
  }
  const reads = r.reads;
  if (reads) {
    const sizes = [...new Set(reads.steps.map((s) => s.storeSize))].sort((a, b) => a - b);
    const [small, large] = [sizes[0], sizes.at(-1)];
    for (const s of reads.steps) {
      if (s.storeSize !== large || small === undefined || small === large) continue;
      const base = reads.steps.find((x) => x.storeSize === small && x.kind === s.kind && x.connections === s.connections);
      if (!base) continue;
      m.push({
        measure: `GET /v1/runs ${s.kind} p99 @${s.connections}, ${runs(large)} runs`,
        phase: 'reads',
        figure: s.latencyMs.p99,
        unit: 'ms',
        baseline: { value: base.latencyMs.p99, what: `${runs(small)} runs` },
        goal: GOALS.readsLargeVsSmall,
      });
    }
  }
  if (r.memory) {
    const { idle, live, steady, liveRuns } = r.memory;
    const aggregatorLive = live['status-aggregator'];
    // The goal is what watching the runs holds; working off their backlog peaks higher for a while.
    if (aggregatorLive)
      m.push({
        measure: `status-aggregator RSS, ${runs(liveRuns)} runs just worked off`,
        phase: 'memory',
        figure: aggregatorLive.rssMB,
        unit: 'MB',
        ...(idle['status-aggregator'] ? { baseline: { value: idle['status-aggregator'].rssMB, what: 'idle' } } : {}),
      });
    for (const [group, mem] of Object.entries(steady).sort(([a], [b]) => a.localeCompare(b))) {
      if (group === 'bench' || group === 'other') continue;
      const before = idle[group];
      // Postgres is many processes sharing its buffers: their Pss adds up, their RSS does not.
      const measure = group === 'postgres' ? 'postgres Pss (all processes)' : `${group} RSS`;
      const value = (g: typeof mem) => (group === 'postgres' ? g.pssMB : g.rssMB);
      m.push({
        measure: `${measure}, ${runs(liveRuns)} live runs`,
        phase: 'memory',
        figure: value(mem),
        unit: 'MB',
        ...(before ? { baseline: { value: value(before), what: 'idle' } } : {}),
        ...(group === 'status-aggregator' ? { goal: GOALS.aggregatorRssMB } : {}),
      });
    }
  }
  return m.map(judge);
}
