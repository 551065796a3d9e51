import { TransientError } from './errors.js';

/**
 * Group commit: items that arrive while a write is running are written together by the next one.
 * Under a burst, one statement (or transaction) per message queues on the database; batched, the
 * same work is a handful of round trips. Each caller's promise settles when the write holding its
 * item does, so a consumer still acks only once its item is durable.
 */
export interface GroupCommit<T, R = void> {
  /**
   * Queues the item for the next write; resolves with its result once that write committed. Once
   * `signal` aborts, the caller is rejected with its reason, and an item not yet written is dropped.
   */
  add(item: T, signal?: AbortSignal): Promise<R>;
  /** Writes made and items written, for tests and metrics. */
  readonly stats: { writes: number; items: number };
}

interface Pending<T, R> {
  item: T;
  signal: AbortSignal | undefined;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * A {@link GroupCommit} over `write`, which stores a batch and returns one result per item, in
 * order. A failed batch is retried item by item, so one bad item fails alone and is redelivered
 * instead of failing its neighbours forever; but a transient failure (the database unavailable, or
 * past its deadline) is no item's fault, and fails the whole batch at once. At most `maxQueued`
 * items wait: past that, an item is refused at once as transient, where it would only wait longer.
 */
export function groupCommit<T, R = void>(
  write: (items: T[]) => Promise<R[] | void>,
  opts: { maxBatch?: number; maxQueued?: number } = {},
): GroupCommit<T, R> {
  const maxBatch = opts.maxBatch ?? 200;
  const maxQueued = opts.maxQueued ?? Infinity;
  let queue: Pending<T, R>[] = [];
  let running = false;
  const stats = { writes: 0, items: 0 };
  const live = (p: Pending<T, R>) => !p.signal?.aborted;

  const commit = async (batch: Pending<T, R>[]): Promise<void> => {
    try {
      const results = await write(batch.map((p) => p.item));
      stats.writes++;
      stats.items += batch.length;
      batch.forEach((p, i) => p.resolve((results ?? [])[i] as R));
    } catch (err) {
      if (batch.length === 1 || err instanceof TransientError) batch.forEach((p) => p.reject(err));
      else for (const p of batch.filter(live)) await commit([p]);
    }
  };

  const kick = () => {
    queue = queue.filter(live);
    if (running || queue.length === 0) return;
    running = true;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(maxBatch);
    void commit(batch).finally(() => {
      running = false;
      kick();
    });
  };

  return {
    add: (item, signal) =>
      new Promise<R>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        if (queue.length >= maxQueued) queue = queue.filter(live);
        if (queue.length >= maxQueued) return reject(new TransientError(`${maxQueued} items are already waiting for a write`));
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        const settled = () => signal?.removeEventListener('abort', onAbort);
        queue.push({
          item,
          signal,
          resolve: (r) => (settled(), resolve(r)),
          reject: (e) => (settled(), reject(e)),
        });
        kick();
      }),
    stats,
  };
}
