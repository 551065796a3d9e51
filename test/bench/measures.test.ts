import { describe, expect, it } from 'vitest';
import type { AcceptStep, CeilingResults } from '../../scripts/bench/ceiling.js';
import type { LoadResult } from '../../scripts/bench/load.js';
import { GOALS, summaryRows } from '../../scripts/bench/measures.js';
import type { MemoryResults } from '../../scripts/bench/memory.js';
import type { BenchResults, StepResult } from '../../scripts/bench/report.js';
import type { Latency } from '../../scripts/bench/stats.js';
import { renderSummary } from '../../scripts/bench/summary.js';
import type { VisibleResults } from '../../scripts/bench/visible.js';

const latency = (p50: number, p99: number): Latency => ({ p50, p90: p99, p99, mean: p50, max: p99 });
const load = (perSec: number, connections: number, l = latency(1, 2)): LoadResult => ({
  connections,
  durationSec: 10,
  sent: perSec * 10,
  answered: perSec * 10,
  accepted: perSec * 10,
  acceptedPerSec: perSec,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  replayed: 0,
  statusCounts: {},
  latencyMs: l,
});
const bare = (perSec: number, concurrency: number) => ({
  concurrency,
  durationSec: 10,
  completed: perSec * 10,
  perSec,
  errors: 0,
  latencyMs: latency(1, 2),
});
const acceptStep = (c: number, gateway: number, pg: number, js: number): AcceptStep => ({
  concurrency: c,
  gateway: load(gateway, c),
  postgres: bare(pg, c),
  jetstream: bare(js, c),
  ceiling: pg <= js ? { of: 'postgres', perSec: pg } : { of: 'jetstream', perSec: js },
  loadAvg: [1, 1, 1],
});
const base = { startedAt: '', finishedAt: '', command: '', runId: '', config: {}, machine: {} } as unknown as BenchResults;

describe('summary rows', () => {
  it('judges the accept rate against the slower of the bare insert and the bare publish', () => {
    const ceiling: CeilingResults = {
      stackStartSec: 1,
      gatewayEnv: {},
      poolSize: 10,
      accept: [acceptStep(8, 210, 300, 4000), acceptStep(32, 100, 900, 500)],
      trivialGet: [],
    };
    const rows = summaryRows({ ...base, ceiling });
    expect(rows.map((r) => [r.measure, r.baseline?.what, r.ratio, r.met])).toEqual([
      ['accept POST /v1/agent-runs (202) @8', 'bare postgres insert', 0.7, true],
      ['accept POST /v1/agent-runs (202) @32', 'bare jetstream publish', 0.2, false],
    ]);
  });

  it('sets the whole-pipeline first-request rate of the same concurrency beside the ceiling, without a goal', () => {
    const ceiling: CeilingResults = {
      stackStartSec: 1,
      gatewayEnv: {},
      poolSize: 10,
      accept: [acceptStep(8, 210, 300, 4000)],
      trivialGet: [],
    };
    const first = [{ ...load(30, 8), settle: {} } as StepResult];
    const rows = summaryRows({ ...base, ceiling, first });
    expect(rows[1]).toMatchObject({ figure: 30, baseline: { value: 300 }, ratio: 0.1 });
    expect(rows[1]?.goal).toBeUndefined();
  });

  it('judges replays as replay ÷ first latency at the same concurrency, p50 and p99', () => {
    const first = [{ ...load(30, 8, latency(100, 400)), settle: {} } as StepResult];
    const replay = [{ ...load(900, 8, latency(5, 130)), settle: {} } as StepResult];
    const rows = summaryRows({ ...base, first, replay });
    expect(rows.map((r) => [r.measure, r.ratio, r.goal, r.met])).toEqual([
      ['replay p50 @8', 0.05, GOALS.replayVsFirst, true],
      ['replay p99 @8', 0.325, GOALS.replayVsFirst, false],
    ]);
  });

  /** 12,000 requests at 200/s, all visible (p50 8, p99 30 ms), `created` of them seen created (p50 40, p99 90 ms). */
  const visibleAt200 = (created: number) =>
    ({
      ratePerSec: 200,
      fired: 12_000,
      notVisible: 0,
      visibleMs: latency(8, 30),
      createdMs: latency(40, 90),
      created,
    }) as unknown as VisibleResults;

  it('judges POST → visible on its p99 against 50 ms, and shows POST → created in Kubernetes beside it without a goal', () => {
    const rows = summaryRows({ ...base, visible: visibleAt200(12_000) });
    expect(rows.map((r) => [r.measure, r.figure, r.goal, r.met])).toEqual([
      ['POST → visible in GET /v1/runs/{id} @200/s, p50', 8, undefined, undefined],
      ['POST → visible in GET /v1/runs/{id} @200/s, p99', 30, GOALS.visibleP99Ms, true],
      ['POST → created in Kubernetes @200/s, p50', 40, undefined, undefined],
      ['POST → created in Kubernetes @200/s, p99', 90, undefined, undefined],
    ]);
    const created = renderSummary(rows)
      .split('\n')
      .find((l) => l.startsWith('POST → created in Kubernetes @200/s, p99'));
    expect(created).toMatch(/\s90\.0 ms\s+-\s+-\s+-\s+-$/);
  });

  it('says how many requests the created figure is over when some were never seen created', () => {
    const rows = summaryRows({ ...base, visible: visibleAt200(11_990) });
    expect(rows[3]?.measure).toBe('POST → created in Kubernetes @200/s (11990 of 12000 seen created), p99');
  });

  it('judges the status-aggregator on its steady RSS with the live runs, shows the peak after their backlog unjudged, and Postgres on its Pss', () => {
    const mem = (rssMB: number, pssMB = rssMB) => ({ processes: 1, rssMB, pssMB });
    const memory = {
      liveRuns: 10_000,
      idle: { 'status-aggregator': mem(120), postgres: mem(400, 90), bench: mem(80) },
      live: { 'status-aggregator': mem(330), postgres: mem(700, 150), bench: mem(90) },
      steady: { 'status-aggregator': mem(310), postgres: mem(650, 140), bench: mem(90) },
    } as unknown as MemoryResults;
    const rows = summaryRows({ ...base, memory });
    expect(rows.map((r) => [r.measure, r.figure, r.baseline?.value, r.met])).toEqual([
      ['status-aggregator RSS, 10k runs just worked off', 330, 120, undefined],
      ['postgres Pss (all processes), 10k live runs', 140, 90, undefined],
      ['status-aggregator RSS, 10k live runs', 310, 120, false],
    ]);
  });
});
