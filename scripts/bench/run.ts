import { setMaxListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startStack, type Stack } from '@jangar/stack';
import { runLoad } from './load.js';
import { CEILING_GATEWAY_ENV, runCeiling } from './ceiling.js';
import { cpuByGroup, cpuPerAnswer } from './cpu.js';
import { parseBenchOptions, USAGE, type BenchOptions, type Phase } from './options.js';
import { summaryRows } from './measures.js';
import { runMemory } from './memory.js';
import { runReads } from './reads.js';
import { machineInfo, ratios, renderReport, writeResults, type BenchResults, type PhaseLoad, type StepResult } from './report.js';
import { mergeServiceEnv, profileEnv, profileLines, startProfiling } from './profile.js';
import { lowerPipelineBackends, lowerPipelinePriority } from './priority.js';
import { BacklogProbe } from './settle.js';
import { runVisible } from './visible.js';
import { createAgent, deliveryIds, primeRun, runBody, RUNS_PATH } from './workload.js';

/** The gateway's default JANGAR_WAIT_MS: a first request answers 202 when its outcome takes longer. */
const WAIT_BUDGET_MS = 2_000;

/** A signal that follows the first this soon is the same interrupt relayed again (tsx re-sends), not a second Ctrl-C. */
const REPEAT_SIGNAL_MS = 1_000;

class Interrupted extends Error {}

/** Variables every service of a phase's control plane gets. */
function phaseEnv(phase: Phase, dataDir: string): Record<string, string> {
  // The visible phase explains its latency from the spans each service writes.
  if (phase === 'visible') return { OTEL_TRACES_EXPORTER: 'file', OTEL_EXPORTER_FILE_PATH: path.join(dataDir, 'spans.jsonl') };
  return {};
}

/** Collects the deliveryIds answered 201: only those are known to have a stored answer to replay. */
const keep201 = (into: string[]) => (deliveryId: string, status: number) => {
  if (status === 201) into.push(deliveryId);
};

/** Runs the whole benchmark and returns the exit code. */
export async function runBench(argv: string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    const parsed = parseBenchOptions(argv);
    if (parsed === 'help') {
      console.log(USAGE);
      return 0;
    }
    opts = parsed;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }

  let probe: BacklogProbe | undefined;
  let exitCode = 0;
  const abort = new AbortController();
  // The visible phase has thousands of requests in flight, each listening to this one signal.
  setMaxListeners(0, abort.signal);
  let interruptedAt = 0;
  const interrupt = (why: string) => {
    if (abort.signal.aborted) {
      if (Date.now() - interruptedAt < REPEAT_SIGNAL_MS) return;
      console.log('Jangar bench: second interrupt, exiting without waiting for the stack to stop.');
      process.exit(130);
    }
    interruptedAt = Date.now();
    console.log(`\nJangar bench: ${why}, stopping…`);
    abort.abort();
    // Fails a settle wait in flight at once rather than after NATS or Postgres time out.
    void probe?.close();
  };
  process.on('SIGINT', () => interrupt('interrupted'));
  process.on('SIGTERM', () => interrupt('terminated'));
  // The launcher that relays signals is gone (killed outright): nobody is left to ask, so stop.
  process.on('disconnect', () => interrupt('launcher exited'));
  const checkInterrupted = () => {
    if (abort.signal.aborted) throw new Interrupted();
  };

  const runId = Date.now().toString(36);
  const startedAt = new Date();
  const machine = machineInfo();
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    runId,
    config: { ...opts, path: RUNS_PATH, waitBudgetMs: WAIT_BUDGET_MS },
    machine,
  };

  const loadNow = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
  results.phaseLoad = {};
  const profileDir = path.resolve(opts.outDir, 'profiles', `${startedAt.toISOString().replace(/:/g, '-')}`);

  /** Starts a fresh control plane, runs `phase` on it, and stops it; false if the phase failed. */
  const withStack = async (name: Phase, phase: (stack: Stack, stackStartSec: number) => Promise<void>): Promise<boolean> => {
    let stack: Stack | undefined;
    let backends: { stop(): Promise<number> } | undefined;
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jangar-bench-'));
    let keepDataDir = false;
    const phaseLoad: PhaseLoad = { before: loadNow() };
    results.phaseLoad![name] = phaseLoad;
    try {
      console.log(
        `\nJangar bench: ${name} phase; starting the control plane (state in ${dataDir}; load average ${phaseLoad.before.join(' ')})`,
      );
      const t0 = Date.now();
      stack = await startStack({
        dataDir,
        httpPort: 0,
        simStepMs: opts.simStepMs,
        log: (line) => console.log(line),
        // Five services compiling under tsx on a shared, busy machine can take minutes to become ready.
        readyTimeoutMs: 300_000,
        // The accept path is measured, not the concurrency and rate limits: thousands of runs are in flight.
        env: {
          JANGAR_POLICY_CONCURRENCY_NAMESPACE: '1000000',
          JANGAR_POLICY_CONCURRENCY_AGENT: '1000000',
          JANGAR_POLICY_CONCURRENCY_CLUSTER: '1000000',
          JANGAR_POLICY_RATE_NAMESPACE: '1000000',
          JANGAR_POLICY_RATE_CLUSTER: '1000000',
          ...phaseEnv(name, dataDir),
        },
        serviceEnv: mergeServiceEnv(
          name === 'ceiling' ? { 'api-gateway': CEILING_GATEWAY_ENV } : {},
          profileEnv(opts.profile, profileDir, name),
        ),
      });
      const stackStartSec = (Date.now() - t0) / 1000;
      checkInterrupted();
      if (opts.pipelineNice > 0) {
        const lowered = await lowerPipelinePriority(opts.pipelineNice);
        backends = await lowerPipelineBackends(stack.databaseUrl, opts.pipelineNice);
        console.log(
          `  the pipeline runs at niceness ${opts.pipelineNice}: ${Object.keys(lowered).join(', ') || 'no process found'}, and its Postgres backends`,
        );
      }
      phaseLoad.measuredFrom = loadNow();
      const profiling = opts.profile.length > 0 ? startProfiling(stack, opts.profile, profileDir, name) : undefined;
      await phase(stack, stackStartSec);
      if (profiling) {
        const summaries = await profiling.finish();
        (results.profiles ??= {})[name] = summaries;
        console.log(`\nWhere the profiled services' time went in the ${name} phase (self time, V8's sampling profiler)`);
        for (const s of summaries) console.log(profileLines(s).join('\n'));
      }
      phaseLoad.after = loadNow();
      return true;
    } catch (err) {
      // After an interrupt, requests and queries cut short fail; that is the interrupt, not a crash.
      if (!(err instanceof Interrupted) && !abort.signal.aborted) {
        console.error(`\nJangar bench failed: ${(err as Error).stack ?? String(err)}`);
        console.error(`Logs are kept in ${path.join(dataDir, 'logs')}.`);
        keepDataDir = true;
        exitCode = 1;
      }
      return false;
    } finally {
      const backendsLowered = await backends?.stop();
      if (backendsLowered !== undefined) console.log(`  (at most ${backendsLowered} of the pipeline's Postgres backends lowered at once)`);
      await probe?.close();
      probe = undefined;
      if (stack) {
        console.log('Jangar bench: stopping the control plane…');
        await stack.stop();
      }
      if (!keepDataDir) await rm(dataDir, { recursive: true, force: true });
      console.log('Jangar bench: stopped.');
    }
  };

  /** The writes phase: first requests and replays of POST /v1/agent-runs. */
  const writes = async (stack: Stack, stackStartSec: number): Promise<void> => {
    /** One load step, then waiting until the control plane has worked off what it left behind. */
    const step = async (
      label: string,
      connections: number,
      durationSec: number,
      nextDeliveryId: () => string,
      onAnswer?: (deliveryId: string, status: number) => void,
    ): Promise<StepResult> => {
      process.stdout.write(`  ▶ ${label.padEnd(15)} concurrency ${String(connections).padStart(3)}, ${durationSec} s … `);
      const cpuBefore = await cpuByGroup();
      const load = await runLoad({
        gatewayUrl: stack.gatewayUrl,
        token: stack.devToken,
        path: RUNS_PATH,
        connections,
        durationSec,
        nextDeliveryId,
        body: runBody,
        ...(onAnswer ? { onAnswer } : {}),
        signal: abort.signal,
      });
      checkInterrupted();
      const settle = await probe!.settle({ quietMs: 1_500, timeoutMs: 120_000, signal: abort.signal });
      checkInterrupted();
      // Over the step and its settling, so a run's whole pipeline is counted, not just its answer.
      const cpuMsPerAnswer = cpuPerAnswer(cpuBefore, await cpuByGroup(), load.answered);
      const { p50, p99 } = load.latencyMs;
      console.log(
        `${load.answered} answers, ${load.acceptedPerSec.toFixed(1)} 2xx/s, ${load.non2xx} non-2xx, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms` +
          (settle.settled
            ? `; settled in ${(settle.waitedMs / 1000).toFixed(1)} s`
            : `; NOT settled after ${(settle.waitedMs / 1000).toFixed(0)} s`),
      );
      return { ...load, settle, cpuMsPerAnswer };
    };

    await createAgent(stack.gatewayUrl, stack.devToken, runId, abort.signal);
    probe = await BacklogProbe.open(stack.natsUrl, stack.databaseUrl);
    console.log(`  ✓ ${'agent'.padEnd(18)} bench/coder created; gateway ${stack.gatewayUrl}\n`);

    if (opts.warmupSec > 0) {
      // Unreported: the services run under tsx, so the first requests also pay for loading and JIT —
      // the very first can outlast a short step, so it is sent alone and awaited.
      const warm: string[] = [];
      const warmIds = deliveryIds(runId, 'warm-');
      const primed = warmIds();
      if ((await primeRun(stack.gatewayUrl, stack.devToken, primed, abort.signal)) === 201) warm.push(primed);
      const c = Math.min(8, Math.max(...opts.concurrencies));
      await step('warm-up first', c, opts.warmupSec, warmIds, keep201(warm));
      let i = 0;
      if (warm.length > 0) await step('warm-up replay', c, opts.warmupSec, () => warm[i++ % warm.length] as string);
    }

    const completed: string[] = [];
    const firstIds = deliveryIds(runId);
    const first: StepResult[] = [];
    for (const c of opts.concurrencies) {
      // A 202's answer may still be pending when the replays start, and replaying it would wait like a first request.
      first.push(await step('first requests', c, opts.durationSec, firstIds, keep201(completed)));
    }
    if (completed.length === 0) throw new Error('no first request was answered 201, so there is nothing to replay; see the logs');

    const replay: StepResult[] = [];
    let next = 0;
    const replayIds = () => completed[next++ % completed.length] as string;
    for (const c of opts.concurrencies) replay.push(await step('replays', c, opts.durationSec, replayIds));

    Object.assign(results, {
      stackStartSec,
      replayPoolSize: completed.length,
      first,
      replay,
      ratios: ratios(first, replay, opts.goalRatio),
    });
  };

  /** The reads phase: GET /v1/runs/{id} and run lists with 1k, then 100k runs stored. */
  const reads = async (stack: Stack, stackStartSec: number): Promise<void> => {
    console.log(`  ✓ ${'gateway'.padEnd(18)} ${stack.gatewayUrl}\n`);
    const ctx = { stack, opts, signal: abort.signal, checkInterrupted, log: (line: string) => console.log(line) };
    results.reads = await runReads(ctx, stackStartSec);
  };

  const ctxOf = (stack: Stack) => ({ stack, opts, signal: abort.signal, checkInterrupted, log: (line: string) => console.log(line) });
  const ceiling = async (stack: Stack, stackStartSec: number): Promise<void> => {
    console.log(`  ✓ ${'gateway'.padEnd(18)} ${stack.gatewayUrl} (JANGAR_WAIT_MS=0)\n`);
    results.ceiling = await runCeiling(ctxOf(stack), stackStartSec);
  };
  const phases: Record<Phase, (stack: Stack, stackStartSec: number) => Promise<void>> = {
    writes,
    ceiling,
    visible: async (stack, stackStartSec) => {
      await createAgent(stack.gatewayUrl, stack.devToken, runId, abort.signal);
      probe = await BacklogProbe.open(stack.natsUrl, stack.databaseUrl);
      console.log(`  ✓ ${'agent'.padEnd(18)} bench/coder created; gateway ${stack.gatewayUrl}; spans in ${stack.dataDir}/spans.jsonl\n`);
      results.visible = await runVisible({ ...ctxOf(stack), probe }, stackStartSec);
    },
    reads,
    memory: async (stack, stackStartSec) => {
      probe = await BacklogProbe.open(stack.natsUrl, stack.databaseUrl);
      console.log(`  ✓ ${'gateway'.padEnd(18)} ${stack.gatewayUrl}\n`);
      results.memory = await runMemory({ ...ctxOf(stack), probe }, stackStartSec);
    },
  };
  for (const phase of opts.phases) {
    if (!(await withStack(phase, phases[phase]))) return exitCode;
  }
  machine.loadAvgAfter = os.loadavg().map((l) => Math.round(l * 100) / 100);
  results.finishedAt = new Date().toISOString();
  results.summary = summaryRows(results);
  console.log(`\n${renderReport(results)}\n`);
  try {
    const file = await writeResults(path.resolve(REPO_ROOT, opts.outDir), results);
    console.log(`Results: ${path.relative(process.cwd(), file)} (and latest.json)`);
  } catch (err) {
    console.error(`Jangar bench: could not write the results: ${(err as Error).message}`);
    return 1;
  }
  return exitCode;
}
