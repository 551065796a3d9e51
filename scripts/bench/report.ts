import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatTable } from './format.js';
import { cpuCells } from './cpu.js';
import type { LoadResult } from './load.js';
import type { CeilingResults } from './ceiling.js';
import { renderCeiling, renderMemory, renderVisible } from './phase-report.js';
import { renderSummary, type SummaryRow } from './summary.js';
import type { MemoryResults } from './memory.js';
import type { ProfileSummary } from './profile.js';
import type { BenchOptions, Phase } from './options.js';
import { planSummary, READ_KINDS, type ReadsResults } from './reads.js';
import type { SettleReport } from './settle.js';
import type { VisibleResults } from './visible.js';

export { formatTable } from './format.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryGiB: number;
  node: string;
  platform: string;
  release: string;
  arch: string;
  /** 1, 5 and 15 minute load averages: other work on the machine shows up here. */
  loadAvgBefore: number[];
  loadAvgAfter?: number[];
}

/** Load averages (1, 5, 15 min) around a phase: the machine is shared, and other work shows up here. */
export interface PhaseLoad {
  /** Before its control plane started. */
  before: number[];
  /** When its measuring began (the control plane just started). */
  measuredFrom?: number[];
  after?: number[];
}

export interface StepResult extends LoadResult {
  /** How long the control plane took to work off this step's backlog afterwards. */
  settle: SettleReport;
  /** CPU ms per answer by process, over the step and its settling: what a request costs the whole control plane. */
  cpuMsPerAnswer?: Record<string, number>;
}

export interface Ratio {
  connections: number;
  p50: number;
  p99: number;
  p50Pass: boolean;
  p99Pass: boolean;
}

export interface BenchResults {
  /** Per phase, where the `--profile`d services' CPU time went. */
  profiles?: Partial<Record<string, ProfileSummary[]>>;
  startedAt: string;
  finishedAt: string;
  command: string;
  runId: string;
  config: BenchOptions & { path: string; waitBudgetMs: number };
  machine: MachineInfo;
  // The writes phase: present when it ran.
  stackStartSec?: number;
  /** Completed deliveryIds the replay steps cycled through. */
  replayPoolSize?: number;
  first?: StepResult[];
  replay?: StepResult[];
  ratios?: Ratio[];
  /** The reads phase: present when it ran. */
  reads?: ReadsResults;
  ceiling?: CeilingResults;
  visible?: VisibleResults;
  memory?: MemoryResults;
  /** The judged measures, as the summary table prints them. */
  summary?: SummaryRow[];
  /** Load averages around each phase that ran. */
  phaseLoad?: Partial<Record<Phase, PhaseLoad>>;
}

/** What this machine is, for comparing runs. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    loadAvgBefore: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Replay ÷ first latency per concurrency, judged against the goal. */
export function ratios(first: LoadResult[], replay: LoadResult[], goal: number): Ratio[] {
  return first.flatMap((f) => {
    const r = replay.find((x) => x.connections === f.connections);
    if (!r) return [];
    const p50 = Math.round((r.latencyMs.p50 / f.latencyMs.p50) * 1000) / 1000;
    const p99 = Math.round((r.latencyMs.p99 / f.latencyMs.p99) * 1000) / 1000;
    return [{ connections: f.connections, p50, p99, p50Pass: p50 <= goal, p99Pass: p99 <= goal }];
  });
}

const ms = (n: number) => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const count = (r: LoadResult, status: string) => String(r.statusCounts[status] ?? 0);
const verdict = (ratio: number, pass: boolean) => `${Number.isFinite(ratio) ? ratio.toFixed(2) : '-'} ${pass ? 'PASS' : 'MISS'}`;

/** The plain-text report printed at the end of a run: each phase, then the summary table. */
export function renderReport(results: BenchResults): string {
  const { config, machine } = results;
  const loads = Object.entries(results.phaseLoad ?? {}).map(
    ([phase, l]) => `${phase} ${l.measuredFrom?.[0] ?? l.before[0]}→${l.after?.[0] ?? '-'}`,
  );
  return [
    `Phases ${config.phases.join(', ')}; ${config.durationSec} s per step, ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}`,
    `load average before ${machine.loadAvgBefore.join(' ')}, after ${machine.loadAvgAfter?.join(' ') ?? '-'}; 1-min load per phase: ${loads.join(', ')}`,
    ...(results.first && results.replay && results.ratios
      ? ['', renderWrites(config, results.first, results.replay, results.ratios, results.replayPoolSize ?? 0)]
      : []),
    ...(results.ceiling ? ['', renderCeiling(results.ceiling)] : []),
    ...(results.visible ? ['', renderVisible(results.visible)] : []),
    ...(results.reads ? ['', renderReads(config, results.reads)] : []),
    ...(results.memory ? ['', renderMemory(results.memory)] : []),
    '',
    'Summary (ratio = figure ÷ baseline)',
    indent(renderSummary(results.summary ?? [])),
  ].join('\n');
}

const indent = (s: string) => s.replace(/^/gm, '  ');

/** The writes phase: first requests, replays and their ratio. */
function renderWrites(
  config: BenchResults['config'],
  firstSteps: StepResult[],
  replaySteps: StepResult[],
  ratioRows: Ratio[],
  pool: number,
): string {
  const first = formatTable(
    ['concurrency', 'answers', '2xx/s', '201', '202', 'non-2xx', 'errors', 'p50 ms', 'p90 ms', 'p99 ms'],
    firstSteps.map((r) => [
      String(r.connections),
      String(r.answered),
      r.acceptedPerSec.toFixed(1),
      count(r, '201'),
      count(r, '202'),
      String(r.non2xx),
      String(r.errors),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p90),
      ms(r.latencyMs.p99),
    ]),
  );
  const replay = formatTable(
    ['concurrency', 'answers', '2xx/s', 'replayed', 'non-2xx', 'errors', 'p50 ms', 'p90 ms', 'p99 ms'],
    replaySteps.map((r) => [
      String(r.connections),
      String(r.answered),
      r.acceptedPerSec.toFixed(1),
      String(r.replayed),
      String(r.non2xx),
      String(r.errors),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p90),
      ms(r.latencyMs.p99),
    ]),
  );
  const groups = ['api-gateway', 'policy', 'provisioner', 'kube-dev', 'status-aggregator', 'audit', 'postgres', 'nats-server', 'bench'];
  const cpu = formatTable(
    ['requests', 'concurrency', ...groups, 'other', 'total'],
    [...firstSteps.map((r) => ['first', r] as const), ...replaySteps.map((r) => ['replay', r] as const)].flatMap(([label, r]) =>
      r.cpuMsPerAnswer ? [[label, String(r.connections), ...cpuCells(r.cpuMsPerAnswer, groups)]] : [],
    ),
  );
  const ratio = formatTable(
    ['concurrency', 'p50 replay/first', 'p99 replay/first'],
    ratioRows.map((r) => [String(r.connections), verdict(r.p50, r.p50Pass), verdict(r.p99, r.p99Pass)]),
  );
  return [
    'First requests (a fresh deliveryId each; 201 = answered within the wait budget, 202 = accepted, still processing)',
    indent(first),
    '',
    `Replayed retries (cycling through ${pool} deliveryIds answered 201 above)`,
    indent(replay),
    '',
    `Replay ÷ first latency (goal ≤ ${config.goalRatio})`,
    indent(ratio),
    '',
    'CPU ms per answer, by process (over each step and until the control plane settled; bench = the load generator)',
    indent(cpu),
  ].join('\n');
}

const runsLabel = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The reads phase: each kind at each store size, the size ratio, and the query plans. */
function renderReads(config: BenchResults['config'], reads: ReadsResults): string {
  const stores = reads.stores.map(
    (s) =>
      `  store at ${runsLabel(s.runs)}: ${s.seededRuns} runs seeded in ${(s.seedMs / 1000).toFixed(1)} s, vacuum analyze ` +
      `${(s.vacuumAnalyzeMs / 1000).toFixed(1)} s, checkpoint ${(s.checkpointMs / 1000).toFixed(1)} s; ` +
      `table ${mib(s.tableBytes)}, indexes ${mib(s.indexBytes)}`,
  );
  const steps = formatTable(
    ['read', 'runs', 'concurrency', 'answers', '2xx/s', 'non-2xx', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'KiB/answer'],
    reads.steps.map((r) => [
      r.kind,
      runsLabel(r.storeSize),
      String(r.connections),
      String(r.answered),
      r.acceptedPerSec.toFixed(1),
      String(r.non2xx),
      String(r.errors),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p90),
      ms(r.latencyMs.p99),
      (r.meanAnswerBytes / 1024).toFixed(1),
    ]),
  );
  const [small, large] = reads.ratios[0]?.sizes ?? [config.storeSizes[0] ?? 0, config.storeSizes.at(-1) ?? 0];
  const ratio = formatTable(
    ['read', 'concurrency', `p50 ${runsLabel(large)}/${runsLabel(small)}`, `p99 ${runsLabel(large)}/${runsLabel(small)}`],
    reads.ratios.map((r) => [r.kind, String(r.connections), verdict(r.p50, r.p50Pass), verdict(r.p99, r.p99Pass)]),
  );
  // The groups that matter for a read, then the rest summed; the total is every process the bench started.
  const groups = ['postgres', 'status-aggregator', 'api-gateway', 'nats-server', 'bench'];
  const cpu = formatTable(
    ['read', 'runs', 'concurrency', ...groups, 'other', 'total', 'pg hits', 'pg reads'],
    reads.steps.map((r) => [
      r.kind,
      runsLabel(r.storeSize),
      String(r.connections),
      ...cpuCells(r.cpuMsPerAnswer, groups),
      r.blocksPerAnswer.hit.toFixed(1),
      r.blocksPerAnswer.read.toFixed(1),
    ]),
  );
  const plans = reads.stores.flatMap((s) => s.plans.map((p) => `${`${p.read} @${runsLabel(s.runs)}`.padEnd(34)} ${planSummary(p.plan)}`));
  return [
    `Reads, answered by the status-aggregator from status.runs through NATS (lists of ${reads.listLimit})`,
    ...READ_KINDS.map((k) => `  ${k.padEnd(14)} ${reads.requests[k]}`),
    ...stores,
    indent(steps),
    '',
    `Reads: ${runsLabel(large)} ÷ ${runsLabel(small)} runs latency (goal ≤ ${config.readGoalRatio})`,
    indent(ratio),
    '',
    'CPU ms per answer, by process (bench = the load generator; from /proc, over the step), and Postgres buffers per answer',
    indent(cpu),
    '',
    "Query plans (EXPLAIN ANALYZE of the aggregator's own SQL, once per size)",
    indent(plans.join('\n')),
  ].join('\n');
}

/** Writes the results as `bench-<timestamp>.json` and `latest.json`; returns the first path. */
export async function writeResults(dir: string, results: BenchResults): Promise<string> {
  await mkdir(dir, { recursive: true });
  // Colons are not allowed in file names on every system a results file might be copied to.
  const file = path.join(dir, `bench-${results.startedAt.replace(/:/g, '-')}.json`);
  const json = `${JSON.stringify(results, null, 2)}\n`;
  await writeFile(file, json);
  await writeFile(path.join(dir, 'latest.json'), json);
  return file;
}
