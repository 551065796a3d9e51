/**
 * A fixed-rate (open-loop) load scheduler. Request i is due at `start + i / rate`, whether or not
 * earlier requests were answered: a slow system is not allowed to slow the load down, so queueing
 * shows up in the latencies instead of in a lower request rate (the "coordinated omission" a
 * closed loop suffers from). A timer that fires late sends every request already due at once, and
 * each keeps its scheduled time, from which its latency is measured.
 */

/** Time as the scheduler sees it; the bench uses the wall clock, tests a fake one. */
export interface Clock {
  /** Milliseconds, monotonic enough for one run. */
  now(): number;
  /** Resolves after about `ms` (possibly later: a busy machine wakes timers late). */
  sleep(ms: number): Promise<void>;
}

export interface OpenLoopOptions {
  /** Requests per second. */
  ratePerSec: number;
  durationSec: number;
  /** Sends request `index`; called when it is due and never awaited, so a slow answer holds nothing up. */
  fire: (index: number, scheduledAt: number) => void;
  clock?: Clock;
  /** Aborting stops scheduling; requests already fired go on. */
  signal?: AbortSignal;
}

const wallClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How many requests a run of `durationSec` at `ratePerSec` sends. */
export function requestCount(ratePerSec: number, durationSec: number): number {
  return Math.max(0, Math.round(ratePerSec * durationSec));
}

/** When request `index` is due, `start` being when the run began. */
export function dueAt(start: number, ratePerSec: number, index: number): number {
  return start + (index * 1000) / ratePerSec;
}

/** Fires every request at its due time; resolves with how many were fired once the last is. */
export async function openLoop(opts: OpenLoopOptions): Promise<number> {
  const clock = opts.clock ?? wallClock;
  const total = requestCount(opts.ratePerSec, opts.durationSec);
  const start = clock.now();
  let index = 0;
  while (index < total && !opts.signal?.aborted) {
    const due = dueAt(start, opts.ratePerSec, index);
    const now = clock.now();
    if (now < due) {
      await clock.sleep(due - now);
      continue;
    }
    opts.fire(index, due);
    index += 1;
  }
  return index;
}
