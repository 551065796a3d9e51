/**
 * A run kept current over `GET /v1/runs/{id}/events`. The stream sends the current state first
 * and ends after a terminal phase; a dropped connection is resumed with Last-Event-ID (the last
 * resourceVersion seen), so no transition is missed or repeated.
 */
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client.js';
import { readEventStream } from '../api/sse.js';
import type { NormalizedRun } from '../api/types.js';
import { isTerminal } from '../lib/phase.js';
import { useToken } from './token.js';

/** `refused`: the server answered 4xx (no such run, no access); retrying would not help. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'refused';

const MAX_BACKOFF_MS = 10_000;

/** The latest state of run `id` and how the stream stands. */
export function useRunEvents(id: string): { run: NormalizedRun | undefined; live: LiveState; updates: number } {
  const { token } = useToken();
  const [run, setRun] = useState<NormalizedRun>();
  const [live, setLive] = useState<LiveState>('connecting');
  const [updates, setUpdates] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    let lastEventId: string | undefined;
    let ended = false;
    let failures = 0;
    setRun(undefined);
    setLive('connecting');
    setUpdates(0);

    const follow = async () => {
      while (!controller.signal.aborted && !ended) {
        try {
          await readEventStream(`/v1/runs/${encodeURIComponent(id)}/events`, token, {
            ...(lastEventId ? { lastEventId } : {}),
            signal: controller.signal,
            onEvent: (e) => {
              if (e.event !== 'status') return;
              const next = JSON.parse(e.data) as NormalizedRun;
              lastEventId = e.id ?? next.resourceVersion;
              failures = 0;
              setRun(next);
              setUpdates((n) => n + 1);
              setLive('live');
              if (isTerminal(next.phase)) ended = true;
            },
          });
          // The server ends the stream after a terminal phase; any other end is a dropped connection.
          if (ended) break;
        } catch (err) {
          if (controller.signal.aborted) return;
          if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
            setLive('refused');
            return;
          }
        }
        setLive('reconnecting');
        failures++;
        const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 5));
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, delay);
          controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
        });
      }
      if (!controller.signal.aborted) setLive('ended');
    };
    void follow();
    return () => controller.abort();
  }, [id, token]);

  return { run, live, updates };
}
