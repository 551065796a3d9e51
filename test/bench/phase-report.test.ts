import { describe, expect, it } from 'vitest';
import { renderVisible } from '../../scripts/bench/phase-report.js';
import type { Latency } from '../../scripts/bench/stats.js';
import type { StageSummary } from '../../scripts/bench/trace-breakdown.js';
import type { VisibleResults } from '../../scripts/bench/visible.js';

const latency = (p50: number, p99: number, mean = p50): Latency => ({ p50, p90: p99, p99, mean, max: p99 });
const stage = (name: string, mean: number): StageSummary => ({ stage: name, count: 100, ms: latency(mean, mean * 2, mean) });

const visible: VisibleResults = {
  stackStartSec: 5,
  ratePerSec: 200,
  durationSec: 60,
  fired: 12_000,
  achievedRatePerSec: 200,
  fireLagMs: latency(0.1, 0.5),
  statusCounts: { 202: 12_000 },
  asyncAnswers: 12_000,
  errors: 0,
  notVisible: 0,
  answerMs: latency(4, 12),
  visibleMs: latency(9, 31),
  visibleOnlyMs: latency(9, 31, 10),
  createdMs: latency(42, 95, 45),
  created: 11_990,
  getsPerRun: 1.02,
  stages: [
    stage('client → gateway receives', 1),
    stage('gateway: validate, claim, publish', 3),
    stage('answer → GET /v1/runs/{id} 200', 6),
  ],
  createdStages: [stage('client → gateway receives', 1), stage('kube create AgentRun', 44)],
  sideStages: [stage('kube create → aggregator observes', 7)],
  loadAvg: [2, 2, 2],
  coresByProcess: { postgres: 0.75, 'api-gateway': 0.5, 'nats-server': 0.25 },
  settle: {} as VisibleResults['settle'],
};

describe('visible phase report', () => {
  const lines = renderVisible(visible).split('\n');

  it('prints the visible figure and the created figure, with how many traces the created one is over', () => {
    expect(lines.some((l) => /visible: p50 9\.00 ms, p99 31\.0 ms/.test(l))).toBe(true);
    expect(lines.some((l) => /created in Kubernetes .*11990 of 12000 traces have it\): p50 42\.0 ms, p99 95\.0 ms/.test(l))).toBe(true);
  });

  it('says which processes kept the cores busy while the requests were due, and how many cores in all', () => {
    expect(lines).toContain(
      '  cores used while the requests were due, by process (CPU ÷ wall time, from /proc; 1.50 in all): postgres 0.75, api-gateway 0.50, nats-server 0.25',
    );
  });

  it('says how many answers applied Prefer: respond-async', () => {
    expect(lines.some((l) => l.includes('(12000 applied Prefer: respond-async)'))).toBe(true);
  });

  it('prints the visible breakdown, then the created breakdown, then the asides, each against its own total', () => {
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const visibleHeading = at(/due → visible, where the time goes.*their mean, 10\.0 ms/);
    const createdHeading = at(/due → created in Kubernetes, where the time goes.*their mean, 45\.0 ms/);
    const asideHeading = at(/aside/);
    expect(visibleHeading).toBeGreaterThan(0);
    expect(createdHeading).toBeGreaterThan(visibleHeading);
    expect(asideHeading).toBeGreaterThan(createdHeading);
    expect(at(/answer → GET \/v1\/runs\/\{id\} 200/)).toBeGreaterThan(visibleHeading);
    expect(at(/answer → GET \/v1\/runs\/\{id\} 200/)).toBeLessThan(createdHeading);
    expect(at(/kube create AgentRun\s+100/)).toBeGreaterThan(createdHeading);
    expect(at(/kube create AgentRun\s+100/)).toBeLessThan(asideHeading);
    expect(at(/kube create → aggregator observes/)).toBeGreaterThan(asideHeading);
  });
});
