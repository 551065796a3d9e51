/**
 * Settles as `work` does, or rejects with `late()` once `ms` have passed without it settling.
 * `work` is not cancelled: whatever it started goes on, and its outcome is dropped. Callers use it
 * where an answer is owed within a bound and the work is safe to leave running (a read, or a write
 * the caller's retry finds).
 */
export function withinDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
