import { describe, expect, it } from 'vitest';
import { dueAt, openLoop, requestCount, type Clock } from '../../scripts/bench/open-loop.js';

/** A clock that only moves when the scheduler sleeps; `lateBy` makes every wake-up that much late. */
function fakeClock(lateBy = 0): Clock & { sleeps: number[] } {
  let t = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms + lateBy;
    },
  };
}

describe('open-loop scheduler', () => {
  it('sends rate × duration requests', () => {
    expect(requestCount(200, 5)).toBe(1000);
    expect(requestCount(200, 0.5)).toBe(100);
    expect(requestCount(3, 0)).toBe(0);
  });

  it('spaces requests 1/rate apart from the start', () => {
    expect(dueAt(1_000, 200, 0)).toBe(1_000);
    expect(dueAt(1_000, 200, 1)).toBe(1_005);
    expect(dueAt(1_000, 200, 400)).toBe(3_000);
  });

  it('fires each request at its due time with that time as its schedule', async () => {
    const clock = fakeClock();
    const fired: Array<{ index: number; scheduledAt: number; at: number }> = [];
    const n = await openLoop({
      ratePerSec: 100,
      durationSec: 0.05,
      clock,
      fire: (index, scheduledAt) => fired.push({ index, scheduledAt, at: clock.now() }),
    });
    expect(n).toBe(5);
    expect(fired).toEqual([0, 1, 2, 3, 4].map((i) => ({ index: i, scheduledAt: 1_000 + i * 10, at: 1_000 + i * 10 })));
  });

  it('never waits for an answer: a request that never completes holds up none after it', async () => {
    const clock = fakeClock();
    const fired: number[] = [];
    const n = await openLoop({
      ratePerSec: 1000,
      durationSec: 0.01,
      clock,
      fire: (index) => {
        fired.push(index);
        void new Promise<never>(() => undefined); // an answer that never comes
      },
    });
    expect(n).toBe(10);
    expect(fired).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('after a late wake-up sends every request already due at once, each keeping its own scheduled time', async () => {
    const clock = fakeClock(25);
    const fired: Array<{ scheduledAt: number; at: number }> = [];
    await openLoop({ ratePerSec: 100, durationSec: 0.05, clock, fire: (_i, scheduledAt) => fired.push({ scheduledAt, at: clock.now() }) });
    expect(fired.map((f) => f.scheduledAt)).toEqual([1_000, 1_010, 1_020, 1_030, 1_040]);
    // The first is on time; the timer for the second wakes 25 ms late, when the second, third and fourth are all due.
    expect(fired.map((f) => f.at)).toEqual([1_000, 1_035, 1_035, 1_035, 1_065]);
  });

  it('stops scheduling once aborted', async () => {
    const clock = fakeClock();
    const abort = new AbortController();
    const n = await openLoop({
      ratePerSec: 100,
      durationSec: 1,
      clock,
      signal: abort.signal,
      fire: (index) => {
        if (index === 2) abort.abort();
      },
    });
    expect(n).toBe(3);
  });
});
