/**
 * `npm run chaos`: starts the whole control plane on loopback in a temp dir, runs a retry storm
 * (10k creates by default, 30% sent twice, some racing their own first attempt, a tenth of the runs
 * deleted once created and a tenth patched) while each service,
 * then the Kubernetes API server, nats-server and Postgres is killed with SIGKILL and restarted, and
 * Postgres, nats-server and the API server are each frozen with SIGSTOP for a while (`--freeze-s`),
 * then checks the invariants and prints the counts. Exits 1 on any violation. See docs/reliability.md.
 * With `--replicas N`, every service runs N processes, and each kill strikes one of them while the
 * others serve on; the clients spread their attempts over the gateway's replicas.
 *
 *   npm run chaos -- --requests 2000 --concurrency 16 --seed 7 --replicas 2
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { SERVICE_NAMES } from '@jangar/stack';
import { faultsFor } from './chaos/faults.js';
import { CHAOS_CALLER, describeResult, runChaos } from './chaos/run.js';
import { createAgent, kubeConfigOf, testStack } from '../test/support/stack.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    'retry-share': { type: 'string', default: '0.3' },
    'delete-share': { type: 'string', default: '0.1' },
    'patch-share': { type: 'string', default: '0.1' },
    seed: { type: 'string' },
    'timeout-s': { type: 'string', default: '300' },
    'freeze-s': { type: 'string', default: '15' },
    replicas: { type: 'string', default: '1' },
  },
});
const positive = (name: string, raw: string | undefined): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${raw}`);
  return n;
};
const total = Math.floor(positive('requests', values.requests));
const concurrency = Math.floor(positive('concurrency', values.concurrency));
const retryShare = positive('retry-share', values['retry-share']);
const share = (name: string, raw: string | undefined): number => {
  const n = Number(raw);
  if (!(n >= 0 && n <= 1)) throw new Error(`--${name} must be between 0 and 1, not ${raw}`);
  return n;
};
const deleteShare = share('delete-share', values['delete-share']);
const patchShare = share('patch-share', values['patch-share']);
if (deleteShare + patchShare > 1) throw new Error('--delete-share and --patch-share together must be at most 1');
const seed = values.seed === undefined ? Date.now() % 1_000_000 : Math.floor(positive('seed', values.seed));
const timeoutMs = positive('timeout-s', values['timeout-s']) * 1000;
const freezeMs = positive('freeze-s', values['freeze-s']) * 1000;
const replicaCount = Math.floor(positive('replicas', values.replicas));
const replicas = Object.fromEntries(SERVICE_NAMES.map((name) => [name, replicaCount]));

const log = (line: string) => console.log(line);
log(
  `chaos: ${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}${replicaCount > 1 ? `, ${replicaCount} replicas of each service` : ''}`,
);
const stack = await testStack({
  log,
  readyTimeoutMs: 300_000,
  replicas,
  env: { JANGAR_API_TOKENS: JSON.stringify([CHAOS_CALLER]) },
});
let exitCode = 1;
// Ctrl-C stops the stack too, so no process of this run outlives it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the stack`);
    void stack.close().finally(() => process.exit(130));
  });
}
try {
  await createAgent(stack, CHAOS_CALLER.namespaces[0]!);
  const result = await runChaos(
    stack,
    { kube: kubeConfigOf(stack).makeApiClient(CustomObjectsApi), db: stack.db },
    { total, concurrency, retryShare, deleteShare, patchShare, seed, faults: faultsFor(replicas), freezeMs, timeoutMs, log },
  );
  for (const line of describeResult(result)) log(line);
  log(
    `load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  exitCode = result.violations.length === 0 ? 0 : 1;
} finally {
  await stack.close();
}
process.exit(exitCode);
