/**
 * The visible phase: how long from `POST /v1/agent-runs` until the run can be read through
 * `GET /v1/runs/{id}`, with requests sent open-loop at a fixed rate (a slow answer never slows the
 * load down). Each request's time runs from when it was due to the first 200 of the GET (the judged
 * figure), and, from the spans, to when the provisioner had created the run in Kubernetes. The
 * services write their spans to a file in this phase, and the spans say where the time went.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import type { PhaseContext } from './ceiling.js';
import { coresUsed, cpuByGroup } from './cpu.js';
import { openLoop } from './open-loop.js';
import type { BacklogProbe, SettleReport } from './settle.js';
import { summarize, type Latency } from './stats.js';
import {
  CREATED,
  CREATED_STAGES,
  DUE_TO_CREATED,
  reaching,
  SIDE_STAGES,
  spansByTrace,
  stageBreakdown,
  stageSamples,
  traceIdOf,
  VISIBLE_STAGES,
  type ClientTimes,
  type StageSummary,
} from './trace-breakdown.js';
import { deliveryIds, runBody, RUNS_PATH } from './workload.js';

/** A GET that has waited this long for the run gives up (the request counts as never visible). */
const VISIBLE_TIMEOUT_MS = 120_000;

export interface VisibleResults {
  stackStartSec: number;
  ratePerSec: number;
  durationSec: number;
  /** Requests sent; with the achieved rate and how late the scheduler fired them (it should be ~0). */
  fired: number;
  achievedRatePerSec: number;
  fireLagMs: Latency;
  statusCounts: Record<string, number>;
  /** Answers that said `Preference-Applied: respond-async` (the gateway answered without waiting for the outcome). */
  asyncAnswers: number;
  /** Requests that got no HTTP answer, or a GET that never found the run. */
  errors: number;
  notVisible: number;
  /** Due time → POST answered (with respond-async, once the request is claimed and published). */
  answerMs: Latency;
  /**
   * Due time → first 200 of GET /v1/runs/{id}, over every request; one never visible counts as the
   * wait limit (120 s), so when `notVisible` > 0 the figures are lower bounds.
   */
  visibleMs: Latency;
  /** The same over the requests that became visible only. */
  visibleOnlyMs: Latency;
  /**
   * Due time → the run exists in Kubernetes (the end of the provisioner's `kube create AgentRun`
   * span in the request's trace), over the `created` requests whose trace has that span. Taken from
   * the spans rather than by polling each run until it has a uid, which would load what is measured.
   */
  createdMs: Latency;
  created: number;
  /** GETs sent per visible run (the first one after the answer, plus polls). */
  getsPerRun: number;
  /**
   * Where the time went, from the services' spans: `stages` splits the visible time (over the
   * requests that became visible), `createdStages` the created time (over the `created` requests).
   */
  stages: StageSummary[];
  createdStages: StageSummary[];
  sideStages: StageSummary[];
  loadAvg: number[];
  /**
   * Cores each process group kept busy over the step (CPU time ÷ the step's wall time, from /proc):
   * who the gateway shared the machine with while the requests were due.
   */
  coresByProcess: Record<string, number>;
  settle: SettleReport;
}

interface Outcome {
  scheduledAt: number;
  status?: number;
  answeredAt?: number;
  visibleAt?: number;
  traceId?: string;
  /** The answer said `Preference-Applied: respond-async`. */
  async?: boolean;
  gets: number;
  error?: string;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * POSTs one run, then GETs it until it answers 200; polls grow to 5 % of the time waited (10 to 250
 * ms). Through undici's `request` on a keep-alive pool rather than `fetch`: the load generator
 * shares the machine's cores with what it measures, and `fetch` costs it several times the CPU
 * per request (WHATWG streams, Headers and Response objects).
 */
async function postThenRead(
  pool: Dispatcher,
  token: string,
  deliveryId: string,
  scheduledAt: number,
  signal: AbortSignal,
): Promise<Outcome> {
  const authorization = `Bearer ${token}`;
  const out: Outcome = { scheduledAt, gets: 0 };
  try {
    const res = await pool.request({
      method: 'POST',
      path: RUNS_PATH,
      // RFC 7240: answer 202 once the request is claimed and published. This client measures when
      // the run becomes readable (and, from the spans, when it is created), not how long the gateway
      // holds a request open waiting for the outcome.
      headers: { authorization, 'content-type': 'application/json', prefer: 'respond-async' },
      body: runBody(deliveryId),
      signal,
    });
    const text = await res.body.text();
    out.answeredAt = now();
    out.status = res.statusCode;
    const header = (name: string) => String(res.headers[name] ?? '');
    const traceId = traceIdOf(header('traceparent'));
    if (traceId) out.traceId = traceId;
    if (/\brespond-async\b/i.test(header('preference-applied'))) out.async = true;
    if (res.statusCode !== 201 && res.statusCode !== 202) return out;
    const id = (JSON.parse(text) as { id?: string }).id;
    if (!id) throw new Error(`answer ${res.statusCode} without an id`);
    for (;;) {
      out.gets += 1;
      const get = await pool.request({ method: 'GET', path: `/v1/runs/${id}`, headers: { authorization }, signal });
      await get.body.dump();
      if (get.statusCode === 200) {
        out.visibleAt = now();
        return out;
      }
      const waited = now() - scheduledAt;
      if (waited > VISIBLE_TIMEOUT_MS) return out;
      await sleep(Math.min(250, Math.max(10, waited * 0.05)), undefined, { signal });
    }
  } catch (err) {
    out.error = (err as Error).message;
    return out;
  }
}

const load = async () => (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100);

type VisibleContext = PhaseContext & { probe: BacklogProbe };

/** Runs the visible phase: warm-up, the open-loop step, settling, then the span breakdown. */
export async function runVisible(ctx: VisibleContext, stackStartSec: number): Promise<VisibleResults> {
  // Unlimited keep-alive connections: an open loop must never wait for a free one.
  const pool = new Pool(ctx.stack.gatewayUrl, { connections: null });
  try {
    return await measureVisible(ctx, stackStartSec, pool);
  } finally {
    await pool.destroy();
  }
}

async function measureVisible(ctx: VisibleContext, stackStartSec: number, pool: Dispatcher): Promise<VisibleResults> {
  const { stack, opts, signal, checkInterrupted, log, probe } = ctx;
  const runId = `v${Date.now().toString(36)}`;
  const ids = deliveryIds(runId);
  /** Fires requests at `rate` for `durationSec`; `onSent` runs once the last is sent, before their answers are awaited. */
  const step = async (
    rate: number,
    durationSec: number,
    onSent?: () => Promise<void>,
  ): Promise<{ outcomes: Outcome[]; lags: number[]; tookSec: number }> => {
    const pending: Array<Promise<Outcome>> = [];
    const lags: number[] = [];
    const t0 = now();
    await openLoop({
      ratePerSec: rate,
      durationSec,
      signal,
      fire: (_i, scheduledAt) => {
        lags.push(now() - scheduledAt);
        pending.push(postThenRead(pool, stack.devToken, ids(), scheduledAt, signal));
      },
    });
    const tookSec = (now() - t0) / 1000;
    await onSent?.();
    return { outcomes: await Promise.all(pending), lags, tookSec };
  };

  if (opts.warmupSec > 0) {
    // Unreported, at a rate the pipeline keeps up with, so tsx-compiled code is warm and no backlog is left.
    process.stdout.write(`  ▶ ${'warm-up'.padEnd(15)} ${Math.min(20, opts.visibleRate)}/s open loop, ${opts.warmupSec} s … `);
    const warm = await step(Math.min(20, opts.visibleRate), opts.warmupSec);
    const s = await probe.settle({ quietMs: 1_500, timeoutMs: 120_000, signal });
    log(`${warm.outcomes.filter((o) => o.visibleAt).length} visible; settled in ${(s.waitedMs / 1000).toFixed(1)} s`);
  }
  checkInterrupted();

  process.stdout.write(`  ▶ ${'POST → visible'.padEnd(15)} ${opts.visibleRate}/s open loop, ${opts.durationSec} s … `);
  // CPU over the sending only: once the last request is due, the cores go to the backlog alone.
  const cpuFrom = { at: now(), ms: await cpuByGroup() };
  let coresByProcess: Record<string, number> = {};
  const { outcomes, lags, tookSec } = await step(opts.visibleRate, opts.durationSec, async () => {
    coresByProcess = coresUsed(cpuFrom.ms, await cpuByGroup(), (now() - cpuFrom.at) / 1000);
  });
  const loadAvg = await load();
  checkInterrupted();
  const settle = await probe.settle({ quietMs: 1_500, timeoutMs: 180_000, signal });
  checkInterrupted();

  const statusCounts: Record<string, number> = {};
  for (const o of outcomes) if (o.status !== undefined) statusCounts[o.status] = (statusCounts[o.status] ?? 0) + 1;
  const visible = outcomes.filter((o) => o.visibleAt !== undefined);
  const answered = outcomes.filter((o) => o.answeredAt !== undefined);
  const visibleOnlyMs = summarize(visible.map((o) => (o.visibleAt as number) - o.scheduledAt));
  const visibleMs = summarize(outcomes.map((o) => (o.visibleAt !== undefined ? o.visibleAt - o.scheduledAt : VISIBLE_TIMEOUT_MS)));

  // The file exporter writes each span as it ends; the last spans of the step are in once it has settled.
  const clientTimes: ClientTimes[] = outcomes.flatMap((o) =>
    o.traceId
      ? [
          {
            traceId: o.traceId,
            scheduledAt: o.scheduledAt,
            ...(o.answeredAt !== undefined ? { answeredAt: o.answeredAt } : {}),
            ...(o.visibleAt !== undefined ? { visibleAt: o.visibleAt } : {}),
          },
        ]
      : [],
  );
  const text = await readFile(path.join(stack.dataDir, 'spans.jsonl'), 'utf8').catch(() => '');
  const spans = spansByTrace(text, new Set(clientTimes.map((c) => c.traceId)));
  // Each breakdown is over the requests that reached its end, so its stages' means add up to its total's.
  const visibleTraced = clientTimes.filter((c) => c.visibleAt !== undefined);
  const createdTraced = reaching(CREATED, clientTimes, spans);
  const createdMs = summarize(stageSamples(DUE_TO_CREATED, createdTraced, spans));
  log(
    `${visible.length}/${outcomes.length} visible, p50 ${visibleMs.p50} ms, p99 ${visibleMs.p99} ms; ` +
      `${createdTraced.length} created, p50 ${createdMs.p50} ms, p99 ${createdMs.p99} ms; ` +
      `answers ${JSON.stringify(statusCounts)}; settled in ${(settle.waitedMs / 1000).toFixed(1)} s`,
  );

  return {
    stackStartSec,
    ratePerSec: opts.visibleRate,
    durationSec: opts.durationSec,
    fired: outcomes.length,
    achievedRatePerSec: Math.round((outcomes.length / tookSec) * 10) / 10,
    fireLagMs: summarize(lags),
    statusCounts,
    asyncAnswers: outcomes.filter((o) => o.async).length,
    errors: outcomes.filter((o) => o.error !== undefined || o.status === undefined).length,
    notVisible: outcomes.length - visible.length,
    answerMs: summarize(answered.map((o) => (o.answeredAt as number) - o.scheduledAt)),
    visibleMs,
    visibleOnlyMs,
    createdMs,
    created: createdTraced.length,
    getsPerRun: visible.length > 0 ? Math.round((visible.reduce((s, o) => s + o.gets, 0) / visible.length) * 100) / 100 : 0,
    stages: stageBreakdown(VISIBLE_STAGES, visibleTraced, spans),
    createdStages: stageBreakdown(CREATED_STAGES, createdTraced, spans),
    sideStages: stageBreakdown(SIDE_STAGES, clientTimes, spans),
    loadAvg,
    coresByProcess,
    settle,
  };
}
