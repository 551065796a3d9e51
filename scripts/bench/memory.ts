/**
 * The memory phase: the resident memory of every process of the control plane when idle, and
 * again with `liveRuns` non-terminal runs that the status-aggregator watches.
 *
 * The runs are created straight through the development API server, not through the API: the
 * API goes through the whole pipeline, which on the bench machine takes a few dozen runs a second
 * (10k would take minutes and measure the pipeline), while what the aggregator holds is what it
 * watches — the AgentRun objects. Each carries what the provisioner writes (Jangar's id, delivery
 * and managed-by labels; delivery-id, requested-by, correlation-id and binding annotations) and
 * the `stuck` simulation scenario, so the simulated runtime moves it to Running and leaves it there
 * — with the batch/v1 Job its `job` binding names, which the aggregator watches too.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { JANGAR_ANNOTATIONS, JANGAR_LABELS } from '@jangar/contracts';
import { SCENARIO_ANNOTATION } from '@jangar/kube-dev';
import type { PhaseContext } from './ceiling.js';
import { memoryByGroup, type GroupMemory } from './rss.js';
import type { BacklogProbe, SettleReport } from './settle.js';

export const LIVE_NAMESPACE = 'bench-live';
/** How long the phase waits for the aggregator to store every live run. */
const OBSERVE_TIMEOUT_MS = 10 * 60_000;
/**
 * How long the phase keeps the live runs watched, untouched, before the steady sample. Working off
 * 10k runs' events grows V8's heap far past what it keeps; V8 gives that back to the system only
 * once the process has been quiet a while (its memory reducer: about a minute here).
 */
const STEADY_AFTER_MS = 120_000;
const STEADY_SAMPLE_MS = 5_000;
/** Creates in flight at once against the development API server. */
const CREATE_CONCURRENCY = 16;

export interface MemoryResults {
  stackStartSec: number;
  liveRuns: number;
  /** Per process group: idle (the control plane just started, nothing sent), and with the live runs watched. */
  idle: Record<string, GroupMemory>;
  /** Once every run was stored and the queues were empty: the heap still holds the backlog's garbage. */
  live: Record<string, GroupMemory>;
  /** {@link STEADY_AFTER_MS} later, the runs still watched and nothing else sent: what watching them holds. */
  steady: Record<string, GroupMemory>;
  /** The status-aggregator's RSS every {@link STEADY_SAMPLE_MS} between `live` and `steady`, MB. */
  aggregatorRssTrail: number[];
  steadyAfterSec: number;
  /** Right after the last create, while the aggregator still works through the watch events. */
  created: Record<string, GroupMemory>;
  /** How long creating the runs took, and until the aggregator had stored every one as Running (or gave up waiting). */
  createSec: number;
  observedSec: number;
  /** Runs the aggregator had stored as Running when `live` was measured: `liveRuns`, unless the wait timed out. */
  observedRuns: number;
  loadAvgIdle: number[];
  loadAvgLive: number[];
  settle: SettleReport;
}

/** The development API server's URL, from the kubeconfig the stack wrote. */
async function apiServerUrl(kubeconfig: string): Promise<string> {
  const server = /^\s*server:\s*"?([^"\s]+)"?\s*$/m.exec(await readFile(kubeconfig, 'utf8'))?.[1];
  if (!server) throw new Error(`no server in ${kubeconfig}`);
  return server;
}

/** An AgentRun as the provisioner would have created it, left Running by the simulator. */
function liveRun(i: number): unknown {
  const id = randomUUID();
  const name = `live-${i}`;
  return {
    apiVersion: 'agents.proompteng.ai/v1alpha1',
    kind: 'AgentRun',
    metadata: {
      name,
      namespace: LIVE_NAMESPACE,
      labels: { [JANGAR_LABELS.id]: id, [JANGAR_LABELS.delivery]: id.replace(/-/g, '').slice(0, 40), [JANGAR_LABELS.managedBy]: 'jangar' },
      annotations: {
        [SCENARIO_ANNOTATION]: 'stuck',
        [JANGAR_ANNOTATIONS.deliveryId]: `bench-live-${i}`,
        [JANGAR_ANNOTATIONS.correlationId]: `bench-live-${i}`,
        [JANGAR_ANNOTATIONS.requestedBy]: 'dev',
        [JANGAR_ANNOTATIONS.binding]: JSON.stringify({
          provider: 'job',
          resource: { apiVersion: 'batch/v1', kind: 'Job', name, namespace: LIVE_NAMESPACE },
          config: { backoffLimit: 0 },
        }),
      },
    },
    spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'benchmark run' } } },
  };
}

const loadNow = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

/** Runs the memory phase. */
export async function runMemory(ctx: PhaseContext & { probe: BacklogProbe }, stackStartSec: number): Promise<MemoryResults> {
  const { stack, opts, signal, checkInterrupted, log, probe } = ctx;
  // Idle: the control plane just became ready and nothing has been sent; give its start-up work a moment to end.
  await probe.settle({ quietMs: 3_000, timeoutMs: 60_000, signal });
  const idle = await memoryByGroup();
  const loadAvgIdle = loadNow();
  log(`  ✓ ${'idle'.padEnd(18)} status-aggregator RSS ${idle['status-aggregator']?.rssMB ?? '-'} MB`);
  checkInterrupted();

  const url = `${await apiServerUrl(stack.kubeconfig)}/apis/agents.proompteng.ai/v1alpha1/namespaces/${LIVE_NAMESPACE}/agentruns`;
  process.stdout.write(`  ▶ ${'create'.padEnd(15)} ${opts.liveRuns} stuck AgentRuns through the development API server … `);
  const t0 = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < opts.liveRuns && !signal.aborted) {
      const i = next++;
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: 'Bearer dev', 'content-type': 'application/json' },
        body: JSON.stringify(liveRun(i)),
        signal,
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`creating AgentRun live-${i} answered ${res.status}: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  const createSec = (Date.now() - t0) / 1000;
  const created = await memoryByGroup();
  log(
    `${createSec.toFixed(1)} s (${Math.round(opts.liveRuns / createSec)}/s); status-aggregator RSS ${created['status-aggregator']?.rssMB ?? '-'} MB`,
  );
  checkInterrupted();

  process.stdout.write(`  ▶ ${'observe'.padEnd(15)} waiting for the status-aggregator to store every run as Running … `);
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  db.on('error', () => undefined);
  await db.connect();
  let observedRuns = 0;
  try {
    // Bounded: on a busy machine the aggregator can take many minutes; its watch cache holds every
    // object either way, and the report says how many it had stored.
    while (Date.now() - t0 < OBSERVE_TIMEOUT_MS && !signal.aborted) {
      const { rows } = await db.query<{ n: string }>("select count(*) as n from status.runs where namespace = $1 and phase = 'Running'", [
        LIVE_NAMESPACE,
      ]);
      observedRuns = Number(rows[0]?.n ?? 0);
      if (observedRuns >= opts.liveRuns) break;
      await sleep(1_000, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await db.end().catch(() => undefined);
  }
  const observedSec = (Date.now() - t0) / 1000;
  if (observedRuns < opts.liveRuns)
    log(`\n    ! only ${observedRuns} of ${opts.liveRuns} stored as Running after ${observedSec.toFixed(0)} s; measuring anyway`);
  // The run-status messages the aggregator published are still being worked off by audit and policy.
  const settle = await probe.settle({ quietMs: 3_000, timeoutMs: observedRuns < opts.liveRuns ? 5_000 : 300_000, signal });
  checkInterrupted();
  const live = await memoryByGroup();
  log(
    `${observedSec.toFixed(1)} s after the first create; settled in ${(settle.waitedMs / 1000).toFixed(1)} s; ` +
      `status-aggregator RSS ${live['status-aggregator']?.rssMB ?? '-'} MB`,
  );

  process.stdout.write(
    `  ▶ ${'steady'.padEnd(15)} the runs watched and nothing sent for ${STEADY_AFTER_MS / 1000} s; status-aggregator RSS MB:`,
  );
  const aggregatorRssTrail: number[] = [];
  let steady = live;
  for (const t1 = Date.now(); Date.now() - t1 < STEADY_AFTER_MS && !signal.aborted;) {
    await sleep(STEADY_SAMPLE_MS, undefined, { signal }).catch(() => undefined);
    steady = await memoryByGroup();
    const rss = steady['status-aggregator']?.rssMB;
    if (rss !== undefined) aggregatorRssTrail.push(rss);
    process.stdout.write(` ${rss?.toFixed(0) ?? '-'}`);
  }
  log('');
  checkInterrupted();
  return {
    stackStartSec,
    liveRuns: opts.liveRuns,
    idle,
    created,
    live,
    steady,
    aggregatorRssTrail,
    steadyAfterSec: STEADY_AFTER_MS / 1000,
    createSec,
    observedSec,
    observedRuns,
    loadAvgIdle,
    loadAvgLive: loadNow(),
    settle,
  };
}
