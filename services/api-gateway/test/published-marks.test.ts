import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { publishedMarks, type PublishedMark } from '../src/deliveries/published-marks.js';

/** A write that records each batch and finishes when the test says so. */
function recorder() {
  const batches: string[][] = [];
  const pending: (() => void)[] = [];
  const write = (marks: readonly PublishedMark[]) => {
    batches.push(marks.map((m) => m.requestKey));
    return new Promise<void>((resolve) => pending.push(resolve));
  };
  const finishAll = () => pending.splice(0).forEach((f) => f());
  return { batches, write, finishAll };
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('publishedMarks', () => {
  it('writes the marks that arrive within the delay as one batch', async () => {
    const r = recorder();
    const marks = publishedMarks({ write: r.write, delayMs: 10, onError: () => undefined });
    marks.add('a', 1);
    marks.add('b', 1);
    expect(r.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(10);
    expect(r.batches).toEqual([['a', 'b']]);
    r.finishAll();
  });

  it('puts the marks that arrive while a batch is being written into the next batch', async () => {
    const r = recorder();
    const marks = publishedMarks({ write: r.write, delayMs: 10, onError: () => undefined });
    marks.add('a', 1);
    await vi.advanceTimersByTimeAsync(10);
    marks.add('b', 1);
    marks.add('c', 1);
    expect(r.batches).toEqual([['a']]);
    r.finishAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.batches).toEqual([['a'], ['b', 'c']]);
    r.finishAll();
  });

  it('writes a key once per batch, and at most maxBatch keys per statement', async () => {
    const r = recorder();
    const marks = publishedMarks({ write: r.write, delayMs: 10, maxBatch: 2, onError: () => undefined });
    for (const k of ['a', 'a', 'b', 'c']) marks.add(k, 1);
    const flushed = marks.flush();
    await vi.advanceTimersByTimeAsync(0);
    r.finishAll();
    await vi.advanceTimersByTimeAsync(0);
    r.finishAll();
    await flushed;
    expect(r.batches).toEqual([['a', 'b'], ['c']]);
  });

  it("writes one mark per attempt: a request's second attempt is a mark of its own", async () => {
    const written: PublishedMark[][] = [];
    const marks = publishedMarks({ write: async (batch) => void written.push([...batch]), delayMs: 10, onError: () => undefined });
    marks.add('a', 1);
    marks.add('a', 2);
    marks.add('a', 2);
    await marks.flush();
    expect(written).toEqual([
      [
        { requestKey: 'a', attempt: 1 },
        { requestKey: 'a', attempt: 2 },
      ],
    ]);
  });

  it('writes everything queued on flush, without waiting for the delay', async () => {
    const r = recorder();
    const marks = publishedMarks({
      write: async (marks) => void r.batches.push(marks.map((m) => m.requestKey)),
      delayMs: 60_000,
      onError: () => undefined,
    });
    marks.add('a', 1);
    await marks.flush();
    expect(r.batches).toEqual([['a']]);
    await marks.flush();
    expect(r.batches).toEqual([['a']]);
  });

  it('reports a failed batch and goes on with the next: the recovery sweep covers the lost marks', async () => {
    const errors: number[] = [];
    const written: string[][] = [];
    let fail = true;
    const marks = publishedMarks({
      write: async (marks) => {
        if (fail) throw new Error('connection lost');
        written.push(marks.map((m) => m.requestKey));
      },
      delayMs: 10,
      onError: (_err, count) => void errors.push(count),
    });
    marks.add('a', 1);
    marks.add('b', 1);
    await marks.flush();
    expect(errors).toEqual([2]);
    fail = false;
    marks.add('c', 1);
    await marks.flush();
    expect(written).toEqual([['c']]);
  });
});
