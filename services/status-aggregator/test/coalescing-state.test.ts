import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@jangar/service-kit';
import { coalescingWatchState } from '../src/coalescing-state.js';
import type { WatchState } from '../src/store.js';

const logger = createLogger('test', 'silent');

/** A WatchState that records every write and can be told to fail the next ones. */
function recording() {
  const writes: Array<[string, string]> = [];
  let failures = 0;
  const state: WatchState = {
    get: async () => undefined,
    async set(kind, version) {
      if (failures > 0) {
        failures--;
        throw new Error('database unavailable');
      }
      writes.push([kind, version]);
    },
  };
  return { state, writes, failNext: (n: number) => (failures = n) };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('the coalescing watch position', () => {
  it('writes only the newest version of each kind per interval', async () => {
    const inner = recording();
    const state = coalescingWatchState(inner.state, 1_000, logger);
    for (const v of ['1', '2', '3']) await state.set('AgentRun', v);
    await state.set('OrchestrationRun', '7');
    expect(inner.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(inner.writes).toEqual([
      ['AgentRun', '3'],
      ['OrchestrationRun', '7'],
    ]);
    await state.set('AgentRun', '4');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(inner.writes.at(-1)).toEqual(['AgentRun', '4']);
  });

  it('retries a failed write with the next one instead of dropping it', async () => {
    const inner = recording();
    const state = coalescingWatchState(inner.state, 1_000, logger);
    inner.failNext(1);
    await state.set('AgentRun', '5');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(inner.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(inner.writes).toEqual([['AgentRun', '5']]);
  });

  it('writes what is pending when flushed, without waiting for the interval', async () => {
    const inner = recording();
    const state = coalescingWatchState(inner.state, 60_000, logger);
    await state.set('AgentRun', '9');
    await state.flush();
    expect(inner.writes).toEqual([['AgentRun', '9']]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(inner.writes).toHaveLength(1);
  });
});
