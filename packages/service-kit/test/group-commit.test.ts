import { describe, expect, it } from 'vitest';
import { TransientError } from '../src/errors.js';
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

  it('drops an item whose signal aborts before its write, rejecting its caller with the reason', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const commits = groupCommit<number>(async (items) => {
      batches.push(items);
      if (items.includes(1)) await held;
    });
    const first = commits.add(1);
    const expiry = new AbortController();
    const second = commits.add(2, expiry.signal);
    const late = new TransientError('too late');
    expiry.abort(late);
    await expect(second).rejects.toBe(late);
    release();
    await first;
    await commits.add(3);
    expect(batches).toEqual([[1], [3]]);
  });

  it('fails a whole batch at once when the failure is transient, not item by item', async () => {
    let writes = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const commits = groupCommit<number>(async (items) => {
      writes++;
      if (items.includes(0)) return held;
      throw new TransientError('the database did not answer');
    });
    const first = commits.add(0);
    const batch = [1, 2, 3, 4].map((n) => commits.add(n));
    release();
    await first;
    const settled = await Promise.allSettled(batch);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(writes).toBe(2);
  });

  it('refuses an item at once as transient when maxQueued items already wait', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const commits = groupCommit<number>(() => held, { maxQueued: 2 });
    const waiting = [commits.add(0), commits.add(1), commits.add(2)];
    await expect(commits.add(3)).rejects.toBeInstanceOf(TransientError);
    release();
    await Promise.all(waiting);
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
