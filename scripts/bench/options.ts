import { parseArgs } from 'node:util';
import { SERVICE_NAMES, type ServiceName } from '@jangar/stack';

/**
 * The parts of the bench, each on its own freshly started control plane, in this order: `writes`
 * (first requests and replays of POST /v1/agent-runs), `ceiling` (the accept path against a bare
 * Postgres insert and JetStream publish; GET /livez against a bare Fastify), `visible` (POST → run
 * visible through GET /v1/runs/{id}, open loop), `reads` (GET /v1/runs/{id} and run lists at two
 * store sizes) and `memory` (RSS of every process, idle and with live runs watched).
 */
export const PHASES = ['writes', 'ceiling', 'visible', 'reads', 'memory'] as const;
export type Phase = (typeof PHASES)[number];

/** What one benchmark run does; recorded verbatim in the results JSON. */
export interface BenchOptions {
  /** The phases that run, in this order. */
  phases: Phase[];
  /** Seconds each measured step runs. */
  durationSec: number;
  /** Seconds of unreported load before measuring, so tsx-compiled code and connection pools are warm. */
  warmupSec: number;
  /** Open connections, each with one request in flight (autocannon `connections`, `pipelining: 1`). */
  concurrencies: number[];
  /** The replay ÷ first latency ratio a concurrency must stay at or under. */
  goalRatio: number;
  /** Connections of each read step (the reads phase). */
  readConcurrencies: number[];
  /** Runs in the aggregator's store when reads are measured, ascending: seeded to each size in turn. */
  storeSizes: number[];
  /** The largest ÷ smallest store's read latency ratio (p50 and p99) a read must stay at or under. */
  readGoalRatio: number;
  /** Requests per second of the open-loop visibility phase. */
  visibleRate: number;
  /** Goal of the visibility phase: p99 from POST to the run visible, in ms. */
  visibleGoalMs: number;
  /** Non-terminal runs the memory phase keeps watched by the status-aggregator. */
  liveRuns: number;
  /** The development API server's run-simulation step (the `npm start` default). */
  simStepMs: number;
  /** Where the JSON results go, relative to the working directory. */
  outDir: string;
  quick: boolean;
  /** Services whose CPU profile is taken over each phase (`--profile`); empty, none. */
  profile: ServiceName[];
  /** Niceness of the pipeline's processes in every phase (`--pipeline-nice`, see priority.ts); 0 leaves them as started. */
  pipelineNice: number;
}

export const USAGE = `Usage: npm run bench -- [--only <phases>] [--duration <s>] [--quick] [--concurrency 1,8,32]
                        [--read-concurrency 8,32] [--store-sizes 1000,100000] [--visible-rate 200]
                        [--live-runs 10000] [--warmup <s>] [--out <dir>] [--profile <services>]
                        [--pipeline-nice <0-19>]

  --only <list>             phases to run (default all, in this order): writes (POST /v1/agent-runs,
                            first requests and replays), ceiling (accept path vs a bare Postgres insert
                            and JetStream publish; GET /livez vs a bare Fastify), visible (POST → run
                            visible through GET /v1/runs/{id}, open loop), reads (GET /v1/runs/{id} and
                            run lists at each store size), memory (RSS idle and with live runs)
  --duration <s>            seconds per measured step (default 10)
  --quick                   3 s steps and 2 s warm-up, for a smoke check
  --concurrency <list>      connection counts of the writes and the ceiling's accept steps (default 1,8,32)
  --read-concurrency <list> connection counts of the reads and the ceiling's GET steps (default 8,32)
  --store-sizes <list>      runs stored when reads are measured, ascending (default 1000,100000)
  --visible-rate <n>        requests per second of the visible phase (default 200)
  --live-runs <n>           live runs the memory phase keeps watched (default 10000)
  --warmup <s>              unreported warm-up load before measuring (default 3; 0 skips it)
  --out <dir>               where results are written (default bench-results)
  --profile <list>          services to CPU-profile over each phase (${SERVICE_NAMES.join(', ')}):
                            prints where their time went and writes <out>/profiles/*.cpuprofile
  --pipeline-nice <n>       run policy, provisioner, status-aggregator, audit and the development API
                            server at niceness n (1-19), below the gateway, Postgres and nats-server:
                            a stand-in for the gateway's own cores in a cluster (default 0: off)`;

const numberFlag = (flag: string, raw: string, allowZero = false): number => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || (value === 0 && !allowZero))
    throw new Error(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, not "${raw}"`);
  return value;
};

/** A comma-separated list of whole numbers, each at least `min`. */
const wholeNumbers = (flag: string, raw: string, min = 1): number[] =>
  raw.split(',').map((c) => {
    const n = numberFlag(flag, c.trim());
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} takes whole numbers of at least ${min}, not "${c}"`);
    return n;
  });

function pipelineNiceOf(flag: string | undefined): number {
  if (flag === undefined) return 0;
  const n = numberFlag('--pipeline-nice', flag, true);
  if (!Number.isInteger(n) || n > 19) throw new Error(`--pipeline-nice takes a whole number from 0 to 19, not "${flag}"`);
  return n;
}

/** Parses the command line; throws with a readable message on a bad flag. */
export function parseBenchOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      only: { type: 'string' },
      'read-concurrency': { type: 'string' },
      'store-sizes': { type: 'string' },
      'visible-rate': { type: 'string' },
      'live-runs': { type: 'string' },
      warmup: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      'pipeline-nice': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const concurrencies = (values.concurrency ?? '1,8,32').split(',').map((c) => {
    const n = numberFlag('--concurrency', c.trim());
    if (!Number.isInteger(n)) throw new Error(`--concurrency takes whole numbers, not "${c}"`);
    return n;
  });
  const only = (values.only ?? PHASES.join(',')).split(',').map((p) => p.trim());
  for (const p of only) {
    if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only takes ${PHASES.join(', ')}, not "${p}"`);
  }
  const readConcurrencies = wholeNumbers('--read-concurrency', values['read-concurrency'] ?? '8,32');
  // At 100 runs every seeded namespace still holds a few; fewer makes the lists meaningless.
  const storeSizes = wholeNumbers('--store-sizes', values['store-sizes'] ?? '1000,100000', 100);
  if (storeSizes.length < 2 || storeSizes.some((n, i) => i > 0 && n <= (storeSizes[i - 1] as number)))
    throw new Error(`--store-sizes takes two or more ascending sizes, not "${values['store-sizes']}"`);
  const profile = values.profile === undefined ? [] : values.profile.split(',').map((name) => name.trim());
  for (const name of profile) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) throw new Error(`--profile takes ${SERVICE_NAMES.join(', ')}, not "${name}"`);
  }
  return {
    phases: PHASES.filter((p) => only.includes(p)),
    durationSec: values.duration !== undefined ? numberFlag('--duration', values.duration) : quick ? 3 : 10,
    warmupSec: values.warmup !== undefined ? numberFlag('--warmup', values.warmup, true) : quick ? 2 : 3,
    concurrencies,
    goalRatio: 0.3,
    readConcurrencies,
    storeSizes,
    readGoalRatio: 1.5,
    visibleRate: values['visible-rate'] !== undefined ? numberFlag('--visible-rate', values['visible-rate']) : 200,
    visibleGoalMs: 50,
    liveRuns: wholeNumbers('--live-runs', values['live-runs'] ?? '10000')[0] as number,
    simStepMs: 300,
    outDir: values.out ?? 'bench-results',
    quick,
    profile: profile as ServiceName[],
    pipelineNice: pipelineNiceOf(values['pipeline-nice']),
  };
}
