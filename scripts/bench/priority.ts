/**
 * `--pipeline-nice <n>`: the pipeline (policy, provisioner, status-aggregator, audit and the
 * development API server) runs at a lower CPU priority than the gateway, Postgres, nats-server and
 * the load generator. Here every process shares two cores, so a backlog in the pipeline takes the
 * cores from the gateway too; in a cluster the gateway's pods have cores of their own. A lower
 * priority for the pipeline is this machine's stand-in for that, and a run that uses it says so.
 * The Postgres backends that serve the pipeline's connections (named `jangar-<schema>` in
 * `pg_stat_activity`) are lowered too, again and again while a phase runs, since pools open new
 * ones; Postgres itself and the gateway's backends keep their priority.
 */
import os from 'node:os';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectPg } from '@jangar/devstack';
import { benchProcesses } from './cpu.js';

/** The processes `--pipeline-nice` lowers, by the groups of cpu.ts. */
export const PIPELINE_GROUPS = ['policy', 'provisioner', 'status-aggregator', 'audit', 'kube-dev'] as const;

/** The `application_name` of the pipeline's Postgres connections (service-kit's `jangar-<schema>`). */
export const PIPELINE_DATABASE_NAMES = ['jangar-policy', 'jangar-status', 'jangar-audit'] as const;

/** How often the pipeline's Postgres backends are looked for again while a phase runs. */
const BACKEND_SWEEP_MS = 250;

/**
 * Sets every thread of the pipeline's processes to niceness `nice` (Linux keeps a niceness per
 * thread; threads started later inherit it). Returns the processes changed, by group; elsewhere than
 * Linux, none.
 */
export async function lowerPipelinePriority(nice: number): Promise<Record<string, number>> {
  const changed: Record<string, number> = {};
  for (const p of await benchProcesses()) {
    if (!(PIPELINE_GROUPS as readonly string[]).includes(p.group)) continue;
    const threads = await readdir(`/proc/${p.pid}/task`).catch(() => [String(p.pid)]);
    for (const tid of threads) {
      try {
        os.setPriority(Number(tid), nice);
      } catch {
        // The thread ended meanwhile.
      }
    }
    changed[p.group] = (changed[p.group] ?? 0) + 1;
  }
  return changed;
}

/** Sets `pids` (single-threaded processes) to niceness `nice`, skipping those already gone; returns how many it set. */
function renice(pids: readonly number[], nice: number): number {
  let set = 0;
  for (const pid of pids) {
    try {
      if (os.getPriority(pid) !== nice) os.setPriority(pid, nice);
      set += 1;
    } catch {
      // The connection closed meanwhile.
    }
  }
  return set;
}

/**
 * Keeps the Postgres backends of the pipeline's connections at niceness `nice` until `stop`,
 * looking for new ones every 250 ms. `stop` resolves to the most backends it saw lowered at once.
 */
export async function lowerPipelineBackends(databaseUrl: string, nice: number): Promise<{ stop(): Promise<number> }> {
  const client = await connectPg(databaseUrl);
  let running = true;
  let most = 0;
  const sweep = async () => {
    while (running) {
      const { rows } = await client
        .query<{ pid: number }>('select pid from pg_stat_activity where application_name = any($1)', [[...PIPELINE_DATABASE_NAMES]])
        .catch(() => ({ rows: [] as Array<{ pid: number }> }));
      most = Math.max(
        most,
        renice(
          rows.map((r) => r.pid),
          nice,
        ),
      );
      await sleep(BACKEND_SWEEP_MS);
    }
  };
  const loop = sweep();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return most;
    },
  };
}
