/**
 * The reads phase: GET /v1/runs/{id} and run lists, answered by the status-aggregator from its own
 * store (`status.runs`) through NATS request-reply, measured with the store seeded to each size in
 * turn (1k runs, then topped up to 100k). See docs/benchmarks.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { RunQuery } from '@jangar/contracts';
import { canonicalJson } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import type { Stack } from '@jangar/stack';
import { listRuns } from '../../services/status-aggregator/src/queries.js';
import { RunStore } from '../../services/status-aggregator/src/store.js';
import { cpuByGroup, cpuPerAnswer } from './cpu.js';
import { runReadLoad, type ReadLoadResult } from './load.js';
import type { BenchOptions } from './options.js';
import { SEED_NAMESPACES, seedRuns, verifySeededRows } from './seed.js';

/** What a read step asks for. */
export const READ_KINDS = ['get', 'list', 'list-continue', 'list-all'] as const;
export type ReadKind = (typeof READ_KINDS)[number];

/** The page size the lists ask for, as the UI does. */
export const LIST_LIMIT = 50;

/** The request a read step sends, for the report. */
export const READ_REQUESTS: Record<ReadKind, string> = {
  get: 'GET /v1/runs/{id}, id drawn uniformly from every stored run',
  list: `GET /v1/runs?namespace={ns}&limit=${LIST_LIMIT}, first page of a random seeded namespace`,
  'list-continue': `GET /v1/runs?namespace={ns}&limit=${LIST_LIMIT}&continue={token}, second page of a random seeded namespace`,
  'list-all': `GET /v1/runs?limit=${LIST_LIMIT}, first page over every namespace (the dev token may read them all)`,
};

export interface ReadStep extends ReadLoadResult {
  kind: ReadKind;
  storeSize: number;
  /** How long queries of this step still ran after it ended (requests cut off at the end go on in the aggregator). */
  drainMs: number;
  /** CPU milliseconds per answer of each process group during the step (postgres, each service, nats-server, bench = autocannon). */
  cpuMsPerAnswer: Record<string, number>;
  /** Postgres buffer accesses per answer during the step: found in shared buffers, or read in (from the OS cache or disk). */
  blocksPerAnswer: { hit: number; read: number };
}

/** The store when it was measured at one size. */
export interface StoreSnapshot {
  /** Rows in `status.runs`. */
  runs: number;
  /** Rows inserted to reach this size, and how long that took. */
  seededRuns: number;
  seedMs: number;
  /** `VACUUM ANALYZE status.runs` after seeding, then `CHECKPOINT`. */
  vacuumAnalyzeMs: number;
  checkpointMs: number;
  /** Random rows checked against what the aggregator writes. */
  verifiedRows: number;
  tableBytes: number;
  indexBytes: number;
  /** Runs per seeded namespace. */
  namespaces: Record<string, number>;
  /** `EXPLAIN (ANALYZE, BUFFERS)` of the aggregator's own SQL, on this store: each kind, lists in the busiest and the quietest namespace. */
  plans: QueryPlan[];
}

export interface QueryPlan {
  /** The kind of read and, for a list, its namespace. */
  read: string;
  plan: string[];
}

export interface ReadRatio {
  kind: ReadKind;
  connections: number;
  /** The sizes compared: largest ÷ smallest. */
  sizes: [number, number];
  p50: number;
  p99: number;
  p50Pass: boolean;
  p99Pass: boolean;
}

export interface ReadsResults {
  stackStartSec: number;
  /** Runs that were in the store before seeding (0 on a fresh stack). */
  runsBefore: number;
  listLimit: number;
  requests: Record<ReadKind, string>;
  stores: StoreSnapshot[];
  steps: ReadStep[];
  ratios: ReadRatio[];
}

/** Largest ÷ smallest store's latency per kind and concurrency, judged against the goal. */
export function readRatios(steps: ReadStep[], goal: number): ReadRatio[] {
  const sizes = [...new Set(steps.map((s) => s.storeSize))].sort((a, b) => a - b);
  const small = sizes[0];
  const large = sizes.at(-1);
  if (small === undefined || large === undefined || small === large) return [];
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return steps.flatMap((s) => {
    if (s.storeSize !== small) return [];
    const l = steps.find((x) => x.storeSize === large && x.kind === s.kind && x.connections === s.connections);
    if (!l) return [];
    const p50 = round(l.latencyMs.p50 / s.latencyMs.p50);
    const p99 = round(l.latencyMs.p99 / s.latencyMs.p99);
    return [{ kind: s.kind, connections: s.connections, sizes: [small, large], p50, p99, p50Pass: p50 <= goal, p99Pass: p99 <= goal }];
  });
}

/** Knex's `?` bindings as Postgres `$n`; `\?` is a literal `?` (jsonb's key-exists operator). */
export function knexToPg(sql: string): string {
  let n = 0;
  return sql.replace(/\\\?|\?/g, (m) => (m === '?' ? `$${++n}` : '?'));
}

/** The SQL and parameters `fn` sends, captured from a stand-in for the aggregator's database. */
async function capture(fn: (db: Database) => Promise<unknown>): Promise<{ sql: string; params: unknown[] }> {
  let captured: { sql: string; params: unknown[] } | undefined;
  const db = {
    query: async (sql: string, params: readonly unknown[] = []) => {
      captured = { sql: knexToPg(sql), params: [...params] };
      return [];
    },
  } as unknown as Database;
  await fn(db).catch(() => undefined);
  if (!captured) throw new Error('the aggregator sent no query');
  return captured;
}

/** The plan of the exact query the aggregator runs for one kind of read. */
async function explain(db: pg.Client, query: { sql: string; params: unknown[] }): Promise<string[]> {
  const { rows } = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${query.sql}`, query.params);
  return rows.map((r) => r['QUERY PLAN']);
}

/** The scan and sort nodes of a plan and its execution time, in one line for the report. */
export function planSummary(plan: string[]): string {
  const nodes = plan
    .map((line) => /->\s+(.*?)\s+\(cost/.exec(line)?.[1] ?? /^(\S.*?)\s+\(cost/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined && /Scan|Sort|Join|Gather/.test(n))
    .map((n) => n.replace(/ on runs$/, ''));
  const time = plan.map((l) => /Execution Time: ([\d.]+) ms/.exec(l)?.[1]).find((t) => t !== undefined);
  return `${nodes.join(' ← ')}${time ? `; ${time} ms` : ''}`;
}

export interface ReadsContext {
  stack: Stack;
  opts: BenchOptions;
  signal: AbortSignal;
  /** Throws once the run was interrupted. */
  checkInterrupted: () => void;
  log: (line: string) => void;
}

/**
 * Waits until no query on `status.runs` has been running for 300 ms (up to 120 s), and returns how
 * long that took: a read cut off when a step ends still runs in the aggregator, and the next step
 * would otherwise be measured on top of it.
 */
async function drained(db: pg.Client, signal: AbortSignal): Promise<number> {
  const t0 = Date.now();
  let quietSince: number | undefined;
  while (!signal.aborted && Date.now() - t0 < 120_000) {
    const { rows } = await db.query<{ n: string }>(
      "select count(*) as n from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and query like '%status.runs%'",
    );
    if (Number(rows[0]?.n ?? 0) > 0) quietSince = undefined;
    else if (quietSince === undefined) quietSince = Date.now();
    else if (Date.now() - quietSince >= 300) return quietSince - t0;
    await sleep(100);
  }
  return Date.now() - t0;
}

/** Buffer accesses of the stack's database so far, as pg_stat_database has them (every backend, this one included). */
async function blocks(db: pg.Client): Promise<{ hit: number; read: number }> {
  await db.query('select pg_stat_clear_snapshot()');
  const { rows } = await db.query<{ hit: string; read: string }>(
    'select blks_hit as hit, blks_read as read from pg_stat_database where datname = current_database()',
  );
  return { hit: Number(rows[0]?.hit ?? 0), read: Number(rows[0]?.read ?? 0) };
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** Seeds, checks and measures the store at each size; returns what it measured. */
export async function runReads(ctx: ReadsContext, stackStartSec: number): Promise<ReadsResults> {
  const { stack, opts, signal, checkInterrupted, log } = ctx;
  const auth = { authorization: `Bearer ${stack.devToken}` };
  const getJson = async (path: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, { headers: auth, signal });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  const db = new pg.Client({ connectionString: stack.databaseUrl });
  // As in BacklogProbe: an interrupt ends this connection, and the next query fails instead.
  db.on('error', () => undefined);
  await db.connect();
  try {
    const count = async () => Number((await db.query<{ n: string }>('select count(*) as n from status.runs')).rows[0]?.n ?? 0);
    const runsBefore = await count();
    if (runsBefore > 0) log(`  ! ${runsBefore} runs were already stored; they count towards each size`);
    // Seeded rows count back from here, 26 s apart: row 0 is the newest run.
    const anchorSec = Math.floor(Date.now() / 1000);
    const namespaces = SEED_NAMESPACES.map((n) => n.name);
    const stores: StoreSnapshot[] = [];
    const steps: ReadStep[] = [];
    let seeded = 0;

    for (const [index, size] of opts.storeSizes.entries()) {
      const target = Math.max(0, size - runsBefore);
      process.stdout.write(`  ▶ ${'seed'.padEnd(15)} ${seeded} → ${target} runs in status.runs … `);
      const seedMs = await seedRuns(db, seeded, target, anchorSec, checkInterrupted);
      const seededRuns = target - seeded;
      seeded = target;
      let t0 = Date.now();
      // What autovacuum would have done to a table this size long before; without it, it may start in the middle of a step.
      await db.query('vacuum analyze status.runs');
      const vacuumAnalyzeMs = Date.now() - t0;
      t0 = Date.now();
      // Writes the pages seeding and vacuum dirtied (about 250 MB at 100k) now, rather than through
      // the checkpointer in the background of the steps that follow.
      await db.query('checkpoint');
      const checkpointMs = Date.now() - t0;
      const verifiedRows = await verifySeededRows(db);
      const runs = await count();
      const { rows: sizes } = await db.query<{ table: string; indexes: string }>(
        "select pg_table_size('status.runs') as table, pg_indexes_size('status.runs') as indexes",
      );
      const { rows: perNamespace } = await db.query<{ namespace: string; n: string }>(
        'select namespace, count(*) as n from status.runs group by namespace order by namespace',
      );
      const ids = (await db.query<{ id: string }>('select id from status.runs')).rows.map((r) => r.id);
      console.log(
        `${(seedMs / 1000).toFixed(1)} s (${Math.round(seededRuns / Math.max(seedMs / 1000, 0.001))} rows/s), ` +
          `vacuum analyze ${(vacuumAnalyzeMs / 1000).toFixed(1)} s, checkpoint ${(checkpointMs / 1000).toFixed(1)} s; ${runs} runs, ${verifiedRows} checked`,
      );
      checkInterrupted();

      // The gateway must answer the seeded runs as stored: a 404 here would make every step measure the miss path.
      for (const id of [ids[0], ids[Math.floor(ids.length / 2)], ids.at(-1)]) {
        const { status, body } = await getJson(`/v1/runs/${id}`);
        const stored = (await db.query<{ run: unknown }>('select run from status.runs where id = $1', [id])).rows[0]?.run;
        if (status !== 200 || canonicalJson(body) !== canonicalJson(stored))
          throw new Error(`GET /v1/runs/${id} answered ${status}, not the stored run: ${JSON.stringify(body)}`);
      }
      // A continue token is the last run of a first page; taken now, the store no longer changes under it.
      const tokens = new Map<string, string>();
      for (const ns of namespaces) {
        const { status, body } = await getJson(`/v1/runs?namespace=${ns}&limit=${LIST_LIMIT}`);
        const page = body as { items?: unknown[]; continue?: string };
        if (status !== 200 || !Array.isArray(page.items)) throw new Error(`listing ${ns} answered ${status}: ${JSON.stringify(body)}`);
        if (page.continue) tokens.set(ns, page.continue);
      }
      const continued = [...tokens.keys()];

      // Lists are planned in the busiest namespace (the most runs to sort without an index in list
      // order) and the quietest (the most runs to skip when walking an index of every namespace).
      const sample = ids[Math.floor(ids.length / 3)] as string;
      const list = (q: Partial<RunQuery>) => (d: Database) => listRuns(d, RunQuery.parse({ limit: LIST_LIMIT, namespaces: ['*'], ...q }));
      const plans: QueryPlan[] = [{ read: 'get', plan: await explain(db, await capture((d) => new RunStore(d).get(sample))) }];
      for (const ns of [namespaces[0], namespaces.at(-1)] as string[]) {
        plans.push({ read: `list ${ns}`, plan: await explain(db, await capture(list({ namespace: ns }))) });
        const token = tokens.get(ns);
        if (token)
          plans.push({ read: `list-continue ${ns}`, plan: await explain(db, await capture(list({ namespace: ns, continue: token }))) });
      }
      plans.push({ read: 'list-all', plan: await explain(db, await capture(list({}))) });
      stores.push({
        runs,
        seededRuns,
        seedMs,
        vacuumAnalyzeMs,
        checkpointMs,
        verifiedRows,
        tableBytes: Number(sizes[0]?.table ?? 0),
        indexBytes: Number(sizes[0]?.indexes ?? 0),
        namespaces: Object.fromEntries(perNamespace.map((r) => [r.namespace, Number(r.n)])),
        plans,
      });
      for (const p of plans) log(`    ${p.read.padEnd(28)} ${planSummary(p.plan)}`);

      const paths: Record<ReadKind, () => string> = {
        get: () => `/v1/runs/${pick(ids)}`,
        list: () => `/v1/runs?namespace=${pick(namespaces)}&limit=${LIST_LIMIT}`,
        'list-continue': () => {
          const n = pick(continued);
          return `/v1/runs?namespace=${n}&limit=${LIST_LIMIT}&continue=${tokens.get(n)}`;
        },
        'list-all': () => `/v1/runs?limit=${LIST_LIMIT}`,
      };
      const kinds = READ_KINDS.filter((k) => k !== 'list-continue' || continued.length > 0);
      if (continued.length < namespaces.length)
        log(`    (second pages only for ${continued.length} of ${namespaces.length} namespaces: the others fit in one page)`);

      const step = async (label: string, kind: ReadKind, connections: number, durationSec: number) => {
        process.stdout.write(`  ▶ ${label.padEnd(20)} concurrency ${String(connections).padStart(3)}, ${durationSec} s … `);
        const blocksBefore = await blocks(db);
        const cpuBefore = await cpuByGroup();
        const load = await runReadLoad({
          gatewayUrl: stack.gatewayUrl,
          token: stack.devToken,
          connections,
          durationSec,
          nextPath: paths[kind],
          signal,
        });
        const cpuMsPerAnswer = cpuPerAnswer(cpuBefore, await cpuByGroup(), load.answered);
        checkInterrupted();
        const drainMs = await drained(db, signal);
        checkInterrupted();
        // A backend reports its counters at most once a second, and once more about a second after it goes idle.
        await sleep(1_100, undefined, { signal }).catch(() => undefined);
        const blocksAfter = await blocks(db);
        const perAnswer = (n: number) => (load.answered > 0 ? Math.round((n / load.answered) * 100) / 100 : 0);
        const blocksPerAnswer = {
          hit: perAnswer(blocksAfter.hit - blocksBefore.hit),
          read: perAnswer(blocksAfter.read - blocksBefore.read),
        };
        const { p50, p99 } = load.latencyMs;
        console.log(
          `${load.answered} answers, ${load.acceptedPerSec.toFixed(1)} 2xx/s, ${load.non2xx} non-2xx, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms` +
            (drainMs >= 500 ? `; queries drained in ${(drainMs / 1000).toFixed(1)} s` : ''),
        );
        return { ...load, drainMs, cpuMsPerAnswer, blocksPerAnswer };
      };
      // Unreported, and only before the first size: the services run under tsx, so the first reads of
      // each kind pay for loading and JIT. The larger store is measured warm, as it comes second.
      if (index === 0 && opts.warmupSec > 0) {
        for (const kind of kinds) await step(`warm-up ${kind}`, kind, Math.min(8, Math.max(...opts.readConcurrencies)), opts.warmupSec);
      }
      for (const kind of kinds) {
        for (const c of opts.readConcurrencies) {
          const load = await step(`${kind} @${runs >= 1000 ? `${Math.round(runs / 1000)}k` : runs}`, kind, c, opts.durationSec);
          steps.push({ ...load, kind, storeSize: runs });
        }
      }
    }
    return {
      stackStartSec,
      runsBefore,
      listLimit: LIST_LIMIT,
      requests: READ_REQUESTS,
      stores,
      steps,
      ratios: readRatios(steps, opts.readGoalRatio),
    };
  } finally {
    await db.end().catch(() => undefined);
  }
}
