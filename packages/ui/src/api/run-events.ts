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
  while (!signal.aborted && !ended) {
    try {
      await readEventStream(url, token, {
        ...(lastEventId ? { lastEventId } : {}),
        ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
        signal,
        onEvent: (e) => {
          if (e.event !== 'status') return;
          const next = JSON.parse(e.data) as NormalizedRun;
          lastEventId = e.id ?? next.resourceVersion;
          failures = 0;
          opts.onRun(next);
          opts.onLive('live');
          if (isTerminal(next.phase)) ended = true;
        },
      });
      // The server ends the stream after a terminal phase; any other end is a dropped connection.
      if (ended) break;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
        opts.onLive('refused');
        return;
      }
    }
    opts.onLive('reconnecting');
    failures++;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 5));
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, delay);
      signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    });
  }
  if (!signal.aborted) opts.onLive('ended');
}
