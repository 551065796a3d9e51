/**
 * Runs `fn` over `items`, at most `width` at a time, starting them in order; once `signal` aborts,
 * starts no more (those under way finish). Rejects with the first failure, as `Promise.all` does.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
