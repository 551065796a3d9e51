/**
 * Settles as `work` does, or rejects with `late()` once `ms` have passed without it settling.
 * `work` is not cancelled: whatever it started goes on, and its outcome is dropped. Given as a
 * function, it gets a signal that aborts at the deadline with the same error, so it can drop what
 * it has only queued. Callers use it where an answer is owed within a bound and the work is safe
 * to leave running (a read, or a write the caller's retry finds).
 */
export function withinDeadline<T>(work: Promise<T> | ((signal: AbortSignal) => Promise<T>), ms: number, late: () => Error): Promise<T> {
  const expiry = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = late();
      expiry.abort(err);
      reject(err);
    }, ms);
    timer.unref();
  });
  const started = typeof work === 'function' ? work(expiry.signal) : work;
  return Promise.race([started, expired]).finally(() => clearTimeout(timer));
}
