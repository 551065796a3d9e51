/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
  /** Stops waiting early, e.g. when the process we wait on has already exited. */
  signal?: AbortSignal;
}

/** Polls `probe` until it yields a value other than `undefined`/`false`, or throws an Error naming `what` once the deadline passes. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, opts: WaitForOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let lastError: unknown;
  let attempts = 0;

  for (;;) {
    throwIfAborted(what, opts.signal);
    attempts += 1;
    try {
      // A probe that hangs must not hold us past the deadline, so race it against the remaining time.
      const result = await raceDeadline(probe(), deadline - Date.now(), opts.signal);
      if (result.kind === 'value' && result.value !== undefined && result.value !== false) return result.value;
      if (result.kind === 'timeout') lastError = new Error('probe did not settle before the deadline');
    } catch (err) {
      lastError = err;
    }
    throwIfAborted(what, opts.signal);
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const last = lastError === undefined ? 'the condition was never met' : `last error: ${describe(lastError)}`;
      throw new Error(`Timed out after ${Date.now() - started} ms (${attempts} attempts) waiting for ${what}; ${last}`, {
        cause: lastError,
      });
    }
    await sleep(Math.min(intervalMs, remaining), opts.signal);
  }
}

type Raced<T> = { kind: 'value'; value: T } | { kind: 'timeout' };

async function raceDeadline<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<Raced<T>> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<Raced<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, ms));
    onAbort = () => resolve({ kind: 'timeout' });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise.then((value): Raced<T> => ({ kind: 'value', value })), timeout]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function throwIfAborted(what: string, signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  throw new Error(`Gave up waiting for ${what}: ${describe(reason)}`, { cause: reason });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const message = err.message || err.name;
  // fetch says only "fetch failed"; what failed (ECONNREFUSED, a reset) is its cause.
  return err.cause instanceof Error && err.cause.message ? `${message} (${err.cause.message})` : message;
}
