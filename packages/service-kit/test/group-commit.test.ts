import { describe, expect, it } from 'vitest';
import { groupCommit } from '../src/group-commit.js';

describe('group commit', () => {
  it('writes items that arrive during a write together, and gives each its own result', async () => {
    const batches: number[][] = [];
    const commits = groupCommit<number, number>(async (items) => {
      batches.push(items);
      await new Promise((r) => setImmediate(r));
      return items.map((n) => n * 10);
    });
    const results = await Promise.all(Array.from({ length: 50 }, (_, n) => commits.add(n)));
    expect(results).toEqual(Array.from({ length: 50 }, (_, n) => n * 10));
    expect(batches[0]).toEqual([0]);
    expect(batches.length).toBeLessThan(50);
    expect(commits.stats).toEqual({ writes: batches.length, items: 50 });
  });

  it('fails only the bad item of a failed batch, retrying the others one by one', async () => {
    const commits = groupCommit<number>(async (items) => {
      if (items.includes(3)) throw new Error('item 3 is bad');
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((n) => commits.add(n)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });

  it('never writes more than maxBatch items at once', async () => {
    const sizes: number[] = [];
    const commits = groupCommit<number>(
      async (items) => {
        sizes.push(items.length);
        await new Promise((r) => setImmediate(r));
      },
      { maxBatch: 8 },
    );
    await Promise.all(Array.from({ length: 40 }, (_, n) => commits.add(n)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
  });
});
