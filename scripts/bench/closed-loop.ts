/**
 * A closed loop for the bare baselines (a Postgres insert, a JetStream publish): `concurrency`
 * workers, each with one operation in flight, starting the next as soon as the last one ends, for
 * `durationSec` — what autocannon does with HTTP connections, so the figures compare.
 */
import { summarize, type Latency } from './stats.js';

export interface ClosedLoopResult {
  concurrency: number;
  durationSec: number;
  /** Operations that completed within the run. */
  completed: number;
  perSec: number;
  /** Operations that threw; their time is not in the latency. */
  errors: number;
  /** The first error's message, to say what went wrong. */
  firstError?: string;
  latencyMs: Latency;
}

/** Runs `op(n)` (n counts up from 0 across workers) in a closed loop. */
export async function closedLoop(opts: {
  concurrency: number;
  durationSec: number;
  op: (n: number) => Promise<unknown>;
  signal?: AbortSignal;
}): Promise<ClosedLoopResult> {
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  const end = t0 + opts.durationSec * 1000;
  const worker = async () => {
    while (performance.now() < end && !opts.signal?.aborted) {
      const start = performance.now();
      try {
        await opts.op(next++);
        samples.push(performance.now() - start);
      } catch (err) {
        errors += 1;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const durationSec = (performance.now() - t0) / 1000;
  return {
    concurrency: opts.concurrency,
    durationSec: Math.round(durationSec * 100) / 100,
    completed: samples.length,
    perSec: Math.round((samples.length / durationSec) * 10) / 10,
    errors,
    ...(firstError ? { firstError } : {}),
    latencyMs: summarize(samples),
  };
}
