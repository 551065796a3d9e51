import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../../scripts/bench/stats.js';

describe('latency statistics', () => {
  it('takes the nearest-rank percentile: the smallest sample with at least p % at or below it', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it('summarizes samples in any order, to two decimals', () => {
    expect(summarize([3.3333, 1, 2, 10, 4])).toEqual({ p50: 3.33, p90: 10, p99: 10, mean: 4.07, max: 10 });
  });

  it('gives NaN for every figure when there are no samples, rather than a fake zero', () => {
    const none = summarize([]);
    for (const value of Object.values(none)) expect(value).toBeNaN();
  });
});
