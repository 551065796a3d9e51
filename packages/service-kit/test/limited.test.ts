import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../src/limited.js';

/** A task that waits until released, noting how many run at once. */
function gate() {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const releases: Array<() => void> = [];
  const task = async (n: number) => {
    started.push(n);
    most = Math.max(most, ++running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running--;
  };
  return { task, started, releases, most: () => most };
}

describe('running over items a few at a time', () => {
  it('runs every item, in order of start, never more than the width at once', async () => {
    const g = gate();
    let finished = false;
    const done = forEachLimited([1, 2, 3, 4, 5], 2, g.task).then(() => void (finished = true));
    // Lets the tasks go one at a time, yielding to the event loop between, until all are done.
    while (!finished) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      g.releases.shift()?.();
    }
    await done;
    expect(g.started).toEqual([1, 2, 3, 4, 5]);
    expect(g.most()).toBe(2);
  });

  it('starts no more once its signal aborts, and lets those under way finish', async () => {
    const abort = new AbortController();
    const seen: number[] = [];
    await forEachLimited(
      [1, 2, 3, 4],
      1,
      async (n) => {
        seen.push(n);
        if (n === 2) abort.abort();
      },
      abort.signal,
    );
    expect(seen).toEqual([1, 2]);
  });
});
