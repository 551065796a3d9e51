import { parseArgs } from 'node:util';

/** What one benchmark run does; recorded verbatim in the results JSON. */
export interface BenchOptions {
  /** Seconds each measured step runs. */
  durationSec: number;
  /** Seconds of unreported load before measuring, so tsx-compiled code and connection pools are warm. */
  warmupSec: number;
  /** Open connections, each with one request in flight (autocannon `connections`, `pipelining: 1`). */
  concurrencies: number[];
  /** The replay ÷ first latency ratio a concurrency must stay at or under. */
  goalRatio: number;
  /** The development API server's run-simulation step (the `npm start` default). */
  simStepMs: number;
  /** Where the JSON results go, relative to the working directory. */
  outDir: string;
  quick: boolean;
}

export const USAGE = `Usage: npm run bench -- [--duration <s>] [--quick] [--concurrency 1,8,32] [--warmup <s>] [--out <dir>]

  --duration <s>       seconds per measured step (default 10)
  --quick              3 s steps and 2 s warm-up, for a smoke check
  --concurrency <list> comma-separated connection counts (default 1,8,32)
  --warmup <s>         unreported warm-up load before measuring (default 3; 0 skips it)
  --out <dir>          where results are written (default bench-results)`;

const numberFlag = (flag: string, raw: string, allowZero = false): number => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || (value === 0 && !allowZero))
    throw new Error(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, not "${raw}"`);
  return value;
};

/** Parses the command line; throws with a readable message on a bad flag. */
export function parseBenchOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      out: { type: 'string' },
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
  return {
    durationSec: values.duration !== undefined ? numberFlag('--duration', values.duration) : quick ? 3 : 10,
    warmupSec: values.warmup !== undefined ? numberFlag('--warmup', values.warmup, true) : quick ? 2 : 3,
    concurrencies,
    goalRatio: 0.3,
    simStepMs: 300,
    outDir: values.out ?? 'bench-results',
    quick,
  };
}
