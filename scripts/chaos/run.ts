/**
 * One chaos run against a started stack: the retry storm with the fault plan striking during it,
 * then the verification. `npm run chaos` and the chaos end-to-end test both run this, with
 * different sizes.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type pg from 'pg';
import type { Stack } from '@jangar/stack';
import { ChaosClient } from './client.js';
import { FaultPlan, type FaultReport, type FaultTarget } from './faults.js';
import { Ledger } from './ledger.js';
import { runStorm, type StormOptions } from './storm.js';
import { verifyStorm, type Verification } from './verify.js';

/** The caller a chaos run creates runs as; its namespace holds nothing else. */
export const CHAOS_CALLER = { token: 'chaos-token-0001', subject: 'chaos', namespaces: ['chaos'] };

/** The storm's shape (its sizes, shares and seed), the faults that strike during it, and the verification's deadline. */
export interface ChaosOptions extends Pick<StormOptions, 'total' | 'concurrency' | 'retryShare' | 'deleteShare' | 'patchShare' | 'seed'> {
  faults: readonly FaultTarget[];
  /** How long each freeze fault lasts (default 15 s). */
  freezeMs?: number;
  /** Deadline of each convergence the verification waits for. */
  timeoutMs: number;
  log: (line: string) => void;
}

export interface ChaosResult extends Verification {
  faults: FaultReport[];
  /** What clients got for the attempts they sent while each fault lasted. */
  duringFaults: FaultAnswers[];
  stormMs: number;
}

/** The attempts sent while one fault lasted (from its strike until its target was back), and their answers. */
export interface FaultAnswers {
  target: FaultTarget;
  sent: number;
  /** The longest any of them waited for its answer (or gave up: a connection error or the client's timeout). */
  slowestMs: number;
  /** What that slowest attempt was, and what it got: `create 201`, `delete 0` (no answer), … */
  slowest?: string;
  unavailable: number;
  noAnswer: number;
}

/** Sums up the ledger's attempts by the fault they were sent during. */
export function answersDuring(ledger: Ledger, faults: readonly FaultReport[]): FaultAnswers[] {
  return faults.map((f) => {
    const sent = ledger.sentBetween(f.struckAt, f.struckAt + f.downMs);
    const slowest = sent.reduce<(typeof sent)[number] | undefined>((a, b) => (a && a.ms >= b.ms ? a : b), undefined);
    return {
      target: f.target,
      sent: sent.length,
      slowestMs: slowest?.ms ?? 0,
      ...(slowest ? { slowest: `${ledger.changeBy(slowest.deliveryId)?.verb ?? 'create'} ${slowest.status}` } : {}),
      unavailable: sent.filter((a) => a.status === 503).length,
      noAnswer: sent.filter((a) => a.status === 0).length,
    };
  });
}

/** Runs the storm and the faults, then checks every invariant; the stack needs CHAOS_CALLER's token and an Agent `coder` in its namespace. */
export async function runChaos(stack: Stack, deps: { kube: CustomObjectsApi; db: pg.Pool }, o: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const log = (line: string) => o.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
  const ledger = new Ledger();
  const namespace = CHAOS_CALLER.namespaces[0]!;
  const client = new ChaosClient({ gatewayUrls: stack.gatewayUrls, token: CHAOS_CALLER.token, namespace, ledger });
  const plan = new FaultPlan(stack, o.faults, o.total, log, o.freezeMs);
  let lastLine = 0;
  log(
    `storm: ${o.total} requests, ${o.concurrency} clients, ${Math.round(o.retryShare * 100)}% sent twice, ` +
      `${Math.round((o.deleteShare ?? 0.1) * 100)}% of runs deleted and ${Math.round((o.patchShare ?? 0.1) * 100)}% patched, seed ${o.seed}`,
  );
  const storm = await runStorm(client, {
    ...o,
    prefix: `chaos-${o.seed}-${t0.toString(36)}`,
    before: (index) => plan.before(index),
    onAnswered: (answered) => {
      if (Date.now() - lastLine < 5_000 && answered !== o.total) return;
      lastLine = Date.now();
      log(`  … ${answered}/${o.total} answered (${ledger.retriedCount()} retried after a failure)`);
    },
  });
  const faults = await plan.finish();
  const stormMs = Date.now() - t0;
  const duringFaults = answersDuring(ledger, faults);
  log(`storm done in ${(stormMs / 1000).toFixed(1)}s; verifying`);
  const verification = await verifyStorm(
    {
      gatewayUrl: stack.gatewayUrl,
      natsUrl: stack.natsUrl,
      databaseUrl: stack.databaseUrl,
      client,
      token: CHAOS_CALLER.token,
      subject: CHAOS_CALLER.subject,
      namespace,
      auditorToken: stack.devToken,
      kube: deps.kube,
      db: deps.db,
      timeoutMs: o.timeoutMs,
      log,
    },
    ledger,
  );
  verification.counts['sent twice, concurrently'] = storm.retriedConcurrently;
  verification.counts['sent twice, afterwards'] = storm.retriedAfterwards;
  verification.counts['deletes sent'] = storm.deletes;
  verification.counts['patches sent'] = storm.patches;
  return { ...verification, faults, duringFaults, stormMs };
}

/** The result as lines for a person: faults, counts, violations. */
export function describeResult(r: ChaosResult): string[] {
  const width = Math.max(...Object.keys(r.counts).map((k) => k.length));
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const targetWidth = Math.max(...r.duringFaults.map((f) => f.target.length));
  return [
    `faults: ${r.faults.map((f) => `${f.target} (down ${seconds(f.downMs)})`).join(', ')}`,
    'attempts sent while each fault lasted: how many, the slowest answer (what it was, what it got), 503s, no answer',
    ...r.duringFaults.map(
      (f) =>
        `  ${f.target.padEnd(targetWidth)}  ${String(f.sent).padStart(5)}  ${seconds(f.slowestMs).padStart(6)} ${`(${f.slowest ?? '–'})`.padEnd(12)}  ${f.unavailable}  ${f.noAnswer}`,
    ),
    ...Object.entries(r.counts).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    r.violations.length === 0 ? 'no violations' : `${r.violations.length} violations:`,
    ...r.violations.map((v) => `  ✗ ${v}`),
  ];
}
