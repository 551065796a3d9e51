/**
 * A work queue that keeps order only where order matters.
 *
 * - `push(key, fn)`: tasks of one key run one after another, in the order they were pushed; tasks of
 *   different keys run side by side, at most `limit` at once. Keys wait their turn first come, first
 *   served, so a busy key cannot starve the others.
 * - `mark(key, fn)`: runs `fn` once every task pushed before it has finished (a watermark). Marks run
 *   one at a time, in the order they were made; when several marks of one key are due together, only
 *   the newest runs, because it says everything the older ones would have said.
 *
 * `fn` owns its failures: a rejected task or mark counts as done (the caller retries inside `fn`
 * when a step must land).
 */
export interface KeyedQueue {
  push(key: string, fn: () => Promise<void>): void;
  mark(key: string, fn: () => Promise<void>): void;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  /** Tasks and marks queued or running. */
  readonly size: number;
}

interface Mark {
  /** Runs once every task with a lower sequence number has finished. */
  readonly before: number;
  readonly key: string;
  readonly fn: () => Promise<void>;
}

export function keyedQueue(options: { limit: number }): KeyedQueue {
  if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error(`limit must be a positive integer, not ${options.limit}`);
  let nextSeq = 0;
  /** Sequence numbers of tasks not finished. */
  const unfinished = new Set<number>();
  /** No task below this sequence number is unfinished; only ever moves up, so finding it is cheap. */
  let low = 0;
  /** Per key, its tasks not yet started; a key is present while it has a task queued or running. */
  const lanes = new Map<string, { seq: number; fn: () => Promise<void> }[]>();
  /** Keys whose next task may start, in the order they became ready. */
  const ready: string[] = [];
  let running = 0;
  const marks: Mark[] = [];
  let markRunning = false;
  let idleWaiters: (() => void)[] = [];

  const size = () => unfinished.size + marks.length + (markRunning ? 1 : 0);
  const settleIdle = () => {
    if (size() > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const startTasks = () => {
    while (running < options.limit && ready.length > 0) {
      const key = ready.shift()!;
      const task = lanes.get(key)!.shift()!;
      running++;
      void Promise.resolve()
        .then(task.fn)
        .catch(() => undefined)
        .then(() => {
          running--;
          unfinished.delete(task.seq);
          const lane = lanes.get(key)!;
          if (lane.length > 0) ready.push(key);
          else lanes.delete(key);
          startTasks();
          runMarks();
          settleIdle();
        });
    }
  };

  const runMarks = () => {
    if (markRunning || marks.length === 0) return;
    while (low < nextSeq && !unfinished.has(low)) low++;
    let due = 0;
    while (due < marks.length && marks[due]!.before <= low) due++;
    if (due === 0) return;
    // Of the due marks, a newer one of the same key makes an older one redundant.
    const newestOfKey = new Map<string, number>();
    for (let i = 0; i < due; i++) newestOfKey.set(marks[i]!.key, i);
    let first = 0;
    while (newestOfKey.get(marks[first]!.key) !== first) first++;
    const mark = marks[first]!;
    marks.splice(0, first + 1);
    markRunning = true;
    void Promise.resolve()
      .then(mark.fn)
      .catch(() => undefined)
      .then(() => {
        markRunning = false;
        runMarks();
        settleIdle();
      });
  };

  return {
    push(key, fn) {
      const seq = nextSeq++;
      unfinished.add(seq);
      const lane = lanes.get(key);
      if (lane) lane.push({ seq, fn });
      else {
        lanes.set(key, [{ seq, fn }]);
        ready.push(key);
      }
      startTasks();
    },
    mark(key, fn) {
      marks.push({ before: nextSeq, key, fn });
      runMarks();
    },
    idle() {
      if (size() === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    get size() {
      return size();
    },
  };
}
