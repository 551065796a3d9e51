import type { Logger } from '@jangar/service-kit';
import type { WatchState } from './store.js';

/**
 * A {@link WatchState} that writes each kind's newest version at most once per `everyMs`. Under
 * load every watch event moved the mark, one upsert per event; a restart after a coalesced write
 * resumes at most `everyMs` back and observes those versions again, which the digest and dedup
 * IDs make harmless. A failed write is retried with the next one, never dropped.
 */
export function coalescingWatchState(inner: WatchState, everyMs: number, logger: Logger): WatchState & { flush(): Promise<void> } {
  const pending = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;

  const write = async () => {
    timer = undefined;
    const due = [...pending];
    pending.clear();
    for (const [kind, version] of due) {
      try {
        await inner.set(kind, version);
      } catch (err) {
        // Unless a newer version came meanwhile, this one is written next time.
        if (!pending.has(kind)) pending.set(kind, version);
        logger.warn({ err, kind }, 'could not store the watch position; retrying');
      }
    }
    if (pending.size > 0) schedule();
  };
  const schedule = () => {
    timer ??= setTimeout(() => (writing = write().finally(() => (writing = undefined))), everyMs);
  };

  return {
    get: (kind) => inner.get(kind),
    async set(kind, version) {
      pending.set(kind, version);
      schedule();
    },
    /** Writes what is pending now; for a clean stop. */
    async flush() {
      clearTimeout(timer);
      timer = undefined;
      await writing;
      if (pending.size > 0) await write();
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
