/**
 * Following one run over `GET /v1/runs/{id}/events`, apart from React so it can be tested against a
 * real server. The stream sends the current state first and ends after a terminal phase; a dropped
 * or silent connection is resumed with Last-Event-ID (the last resourceVersion seen), so no
 * transition is missed or repeated.
 */
import { isTerminal } from '../lib/phase.js';
import { ApiError } from './client.js';
import { readEventStream } from './sse.js';
import type { NormalizedRun } from './types.js';

/** `refused`: the server answered 4xx (no such run, no access); retrying would not help. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'refused';

const MAX_BACKOFF_MS = 10_000;

export interface FollowOptions {
  signal: AbortSignal;
  onRun: (run: NormalizedRun) => void;
  onLive: (state: LiveState) => void;
  /** How long a stream may be silent before it is given up (default `STREAM_IDLE_TIMEOUT_MS`). */
  idleTimeoutMs?: number;
}

/** Follows the event stream at `url` until the run is terminal, the server refuses, or `signal` aborts. */
export async function followRunEvents(url: string, token: string, opts: FollowOptions): Promise<void> {
  const { signal } = opts;
  let lastEventId: string | undefined;
  let ended = false;
  let failures = 0;
  // Told on change only: a stream's open and its first event both say live.
  let shown: LiveState | undefined;
  const show = (state: LiveState) => {
    if (state !== shown) opts.onLive(state);
    shown = state;
  };
  while (!signal.aborted && !ended) {
    try {
      await readEventStream(url, token, {
        ...(lastEventId ? { lastEventId } : {}),
        ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
        signal,
        // Live once the server accepts: resumed at the run's current version, it has nothing to send yet.
        onOpen: () => show('live'),
        onEvent: (e) => {
          if (e.event !== 'status') return;
          const next = JSON.parse(e.data) as NormalizedRun;
          lastEventId = e.id ?? next.resourceVersion;
          failures = 0;
          opts.onRun(next);
          show('live');
          if (isTerminal(next.phase)) ended = true;
        },
      });
      // The server ends the stream after a terminal phase; any other end is a dropped connection.
      if (ended) break;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
        show('refused');
        return;
      }
    }
    show('reconnecting');
    failures++;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 5));
    // Ends early on abort; either way the listener goes, so reconnects do not pile listeners on the signal.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, delay);
      signal.addEventListener('abort', done, { once: true });
    });
  }
  if (!signal.aborted) show('ended');
}
