/**
 * The ceiling phase: the gateway against what it cannot be faster than, on the same machine.
 *
 * - Accept path. `POST /v1/agent-runs` with the gateway's wait budget at 0 (`JANGAR_WAIT_MS=0`:
 *   it answers 202 once the request is claimed and published) and the policy service stopped, so
 *   nothing downstream competes for the cores; against a bare Postgres insert of the same
 *   idempotency row (a scratch copy of `gateway.deliveries`, indexes and constraints included,
 *   through a `pg` pool as large as the gateway's) and a bare JetStream publish-with-ack of the same
 *   message (a scratch stream configured as JANGAR_REQUESTS, with the request key as msgID), at the
 *   same concurrencies. The ratio is the gateway's rate ÷ the slower of the two.
 * - A trivial GET. The gateway's `GET /livez` (its hooks, logger and tracing included) against a
 *   bare Fastify hello-world in its own process.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { streamDefinitions, type RequestMessage } from '@jangar/contracts';
import { freePort, spawnService, waitFor } from '@jangar/devstack';
import { ensureStreams, requestKeyFor, sha256 } from '@jangar/service-kit';
import { REPO_ROOT, buildBundles, bundleArgs, bundleTarget, type Stack } from '@jangar/stack';
import { closedLoop, type ClosedLoopResult } from './closed-loop.js';
import { cpuByGroup, cpuPerAnswer } from './cpu.js';
import { runLoad, runReadLoad, type LoadResult } from './load.js';
import type { BenchOptions } from './options.js';
import { deliveryIds, NAMESPACE, runBody, RUNS_PATH } from './workload.js';

/** The gateway's database pool (`JANGAR_DB_POOL_MAX`'s default), which the bare insert's pg pool matches. */
export const GATEWAY_POOL_SIZE = 10;
/** The gateway's environment in this phase: answer 202 as soon as the request is on the bus. */
export const CEILING_GATEWAY_ENV = { JANGAR_WAIT_MS: '0' };
const SCRATCH_SCHEMA = 'bench_ceiling';
const SCRATCH_STREAM = 'BENCH_CEILING';
const SCRATCH_SUBJECT = 'bench.ceiling.agentrun.create';

export interface AcceptStep {
  concurrency: number;
  gateway: LoadResult;
  postgres: ClosedLoopResult;
  jetstream: ClosedLoopResult;
  /** CPU ms per answer (per operation, for the bare ones), by process group, over each of the three steps; absent in older results. */
  cpuMsPerAnswer?: Record<'gateway' | 'postgres' | 'jetstream', Record<string, number>>;
  /** Which of the two bare operations was slower, and its rate: the ceiling. */
  ceiling: { of: 'postgres' | 'jetstream'; perSec: number };
  loadAvg: number[];
}

export interface TrivialGetStep {
  concurrency: number;
  gateway: LoadResult;
  fastify: LoadResult;
  loadAvg: number[];
}

export interface CeilingResults {
  stackStartSec: number;
  gatewayEnv: Record<string, string>;
  poolSize: number;
  accept: AcceptStep[];
  trivialGet: TrivialGetStep[];
}

export interface PhaseContext {
  stack: Stack;
  opts: BenchOptions;
  signal: AbortSignal;
  checkInterrupted: () => void;
  log: (line: string) => void;
}

const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

/** The message the gateway would publish for a deliveryId (as `submit` builds it). */
function requestMessage(deliveryId: string): RequestMessage {
  const body = JSON.parse(runBody(deliveryId)) as { metadata: { namespace: string }; spec: Record<string, unknown> };
  const requestKey = requestKeyFor('dev', deliveryId);
  return {
    deliveryId,
    requestKey,
    attempt: 1,
    correlationId: deliveryId,
    principal: { subject: 'dev', roles: ['admin', 'approver'] },
    namespace: NAMESPACE,
    occurredAt: new Date().toISOString(),
    payload: {
      id: randomUUID(),
      kind: 'AgentRun',
      verb: 'create',
      metadata: { namespace: body.metadata.namespace, name: `coder-${sha256(requestKey).slice(0, 10)}` },
      spec: body.spec,
    },
  } as RequestMessage;
}

/** The gateway's claim (`DeliveryStore.claim`), on the scratch table. */
const CLAIM_SQL = `insert into ${SCRATCH_SCHEMA}.deliveries (request_key, principal, delivery_id, fingerprint, resource_id, kind, verb, namespace, name, message, expires_at)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, now() + make_interval(secs => $11))
  on conflict (request_key) do nothing returning request_key`;

/** Runs the ceiling phase on a stack started with {@link CEILING_GATEWAY_ENV}. */
export async function runCeiling(ctx: PhaseContext, stackStartSec: number): Promise<CeilingResults> {
  const { stack, opts, signal, checkInterrupted, log } = ctx;
  // Nothing consumes the requests now: the gateway's work ends at the PubAck, as the bare publish's does.
  await stack.kill('policy');
  log('  ✓ policy             stopped: the accept path is measured alone');

  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: GATEWAY_POOL_SIZE });
  pool.on('error', () => undefined);
  const nc = await connect({ servers: stack.natsUrl.split(','), name: 'jangar-bench-ceiling' });
  const hello = await startHello();
  try {
    await pool.query(`create schema if not exists ${SCRATCH_SCHEMA}`);
    await pool.query(`create table ${SCRATCH_SCHEMA}.deliveries (like gateway.deliveries including all)`);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [{ ...streamDefinitions().requests, name: SCRATCH_STREAM, subjects: [`bench.ceiling.>`] }]);
    const js = jetstream(nc);

    const runId = `c${Date.now().toString(36)}`;
    const gatewayIds = deliveryIds(runId, 'gw-');
    let bare = 0;
    const bareId = () => `bench-${runId}-bare-${++bare}`;
    const insert = async () => {
      const m = requestMessage(bareId());
      await pool.query(CLAIM_SQL, [
        m.requestKey,
        'dev',
        m.deliveryId,
        sha256(m.deliveryId),
        m.payload.id,
        'AgentRun',
        'create',
        NAMESPACE,
        m.payload.metadata.name,
        JSON.stringify(m),
        24 * 3600,
      ]);
    };
    const publish = async () => {
      const m = requestMessage(bareId());
      const ack = await js.publish(SCRATCH_SUBJECT, JSON.stringify(m), { msgID: m.requestKey });
      if (ack.duplicate) throw new Error('a fresh msgID was taken for a duplicate');
    };

    const label = (what: string, c: number, sec: number) =>
      process.stdout.write(`  ▶ ${what.padEnd(22)} concurrency ${String(c).padStart(3)}, ${sec} s … `);
    const gatewayStep = async (c: number, sec: number, what = 'gateway accept (202)') => {
      label(what, c, sec);
      const r = await runLoad({
        gatewayUrl: stack.gatewayUrl,
        token: stack.devToken,
        path: RUNS_PATH,
        connections: c,
        durationSec: sec,
        nextDeliveryId: gatewayIds,
        body: runBody,
        signal,
      });
      log(`${r.acceptedPerSec.toFixed(0)} 2xx/s, ${r.non2xx} non-2xx, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
      if (r.accepted > 0 && (r.statusCounts['202'] ?? 0) < r.accepted)
        log('    ! some answers were not 202: the gateway waited for outcomes after all');
      return r;
    };
    const bareStep = async (what: string, c: number, sec: number, op: () => Promise<void>) => {
      label(what, c, sec);
      const r = await closedLoop({ concurrency: c, durationSec: sec, op, signal });
      log(`${r.perSec.toFixed(0)}/s, ${r.errors} errors, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
      if (r.errors > 0) log(`    ! ${r.firstError}`);
      return r;
    };

    const warm = Math.min(8, Math.max(...opts.concurrencies));
    if (opts.warmupSec > 0) {
      await gatewayStep(warm, opts.warmupSec, 'warm-up accept');
      await bareStep('warm-up insert', warm, opts.warmupSec, insert);
      await bareStep('warm-up publish', warm, opts.warmupSec, publish);
    }
    // Where each step's CPU went: the accept path's parts side by side with the bare operations'.
    const withCpu = async <T>(step: () => Promise<T>, answers: (r: T) => number) => {
      const before = await cpuByGroup();
      const result = await step();
      return { result, cpu: cpuPerAnswer(before, await cpuByGroup(), answers(result)) };
    };
    const accept: AcceptStep[] = [];
    for (const c of opts.concurrencies) {
      const gw = await withCpu(
        () => gatewayStep(c, opts.durationSec),
        (r) => r.answered,
      );
      checkInterrupted();
      const pg = await withCpu(
        () => bareStep('bare postgres insert', c, opts.durationSec, insert),
        (r) => r.completed,
      );
      checkInterrupted();
      const js = await withCpu(
        () => bareStep('bare jetstream publish', c, opts.durationSec, publish),
        (r) => r.completed,
      );
      checkInterrupted();
      const [gateway, postgres, jetstreamResult] = [gw.result, pg.result, js.result];
      const cpuMsPerAnswer = { gateway: gw.cpu, postgres: pg.cpu, jetstream: js.cpu };
      const ceiling =
        postgres.perSec <= jetstreamResult.perSec
          ? { of: 'postgres' as const, perSec: postgres.perSec }
          : { of: 'jetstream' as const, perSec: jetstreamResult.perSec };
      accept.push({ concurrency: c, gateway, postgres, jetstream: jetstreamResult, cpuMsPerAnswer, ceiling, loadAvg: load() });
    }

    const get = (url: string, p: string, c: number, sec: number, what: string) => {
      label(what, c, sec);
      return runReadLoad({ gatewayUrl: url, token: stack.devToken, connections: c, durationSec: sec, nextPath: () => p, signal }).then(
        (r) => {
          log(`${r.acceptedPerSec.toFixed(0)} 2xx/s, ${r.non2xx} non-2xx, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
          return r;
        },
      );
    };
    if (opts.warmupSec > 0) {
      await get(stack.gatewayUrl, '/livez', warm, opts.warmupSec, 'warm-up GET /livez');
      await get(hello.url, '/', warm, opts.warmupSec, 'warm-up hello-world');
    }
    const trivialGet: TrivialGetStep[] = [];
    for (const c of opts.readConcurrencies) {
      const gateway = await get(stack.gatewayUrl, '/livez', c, opts.durationSec, 'gateway GET /livez');
      checkInterrupted();
      const fastify = await get(hello.url, '/', c, opts.durationSec, 'bare fastify GET /');
      checkInterrupted();
      trivialGet.push({ concurrency: c, gateway, fastify, loadAvg: load() });
    }
    return { stackStartSec, gatewayEnv: CEILING_GATEWAY_ENV, poolSize: GATEWAY_POOL_SIZE, accept, trivialGet };
  } finally {
    await hello.stop();
    await nc.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
}

/** Starts the hello-world baseline in its own process. */
async function startHello(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const bundle = bundleTarget(path.join(REPO_ROOT, 'scripts', 'bench', 'hello-server.ts'));
  await buildBundles([bundle]);
  const proc = await spawnService({
    name: 'hello-fastify',
    command: process.execPath,
    args: bundleArgs(bundle.outfile),
    cwd: REPO_ROOT,
    env: { PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('the hello-world server', async () => ((await fetch(url).catch(() => undefined))?.ok ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, stop: async () => void (await proc.stop()) };
}
