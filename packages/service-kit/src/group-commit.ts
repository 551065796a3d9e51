/**
 * Group commit: items that arrive while a write is running are written together by the next one.
 * Under a burst, one statement (or transaction) per message queues on the database; batched, the
 * same work is a handful of round trips. Each caller's promise settles when the write holding its
 * item does, so a consumer still acks only once its item is durable.
 */
export interface GroupCommit<T, R = void> {
  /** Queues the item for the next write; resolves with its result once that write committed. */
  add(item: T): Promise<R>;
  /** Writes made and items written, for tests and metrics. */
  readonly stats: { writes: number; items: number };
}

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * A {@link GroupCommit} over `write`, which stores a batch and returns one result per item, in
 * order. A failed batch is retried item by item, so one bad item fails alone and is redelivered
 * instead of failing its neighbours forever.
 */
export function groupCommit<T, R = void>(write: (items: T[]) => Promise<R[] | void>, opts: { maxBatch?: number } = {}): GroupCommit<T, R> {
  const maxBatch = opts.maxBatch ?? 200;
  let queue: Pending<T, R>[] = [];
  let running = false;
  const stats = { writes: 0, items: 0 };

  const commit = async (batch: Pending<T, R>[]): Promise<void> => {
    try {
      const results = await write(batch.map((p) => p.item));
      stats.writes++;
      stats.items += batch.length;
      batch.forEach((p, i) => p.resolve((results ?? [])[i] as R));
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else for (const p of batch) await commit([p]);
    }
  };

  const kick = () => {
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
    add: (item) =>
      new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        kick();
      }),
    stats,
  };
}
