/** Latency statistics of the bench: pure, so their arithmetic is tested on its own. */

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array: the smallest sample with at least p % of samples at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Summarizes latency samples (ms), in any order; every figure is NaN when there are none. */
export function summarize(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: round2(percentile(sorted, 50)),
    p90: round2(percentile(sorted, 90)),
    p99: round2(percentile(sorted, 99)),
    mean: sorted.length === 0 ? Number.NaN : round2(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    max: round2(sorted.at(-1) ?? Number.NaN),
  };
}
