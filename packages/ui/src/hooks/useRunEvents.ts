/** A run kept current over its event stream (see `followRunEvents`), as React state. */
import { useEffect, useState } from 'react';
import { followRunEvents, type LiveState } from '../api/run-events.js';
import type { NormalizedRun } from '../api/types.js';
import { useToken } from './token.js';

export type { LiveState } from '../api/run-events.js';

/** The latest state of run `id` and how the stream stands. */
export function useRunEvents(id: string): { run: NormalizedRun | undefined; live: LiveState; updates: number } {
  const { token } = useToken();
  const [run, setRun] = useState<NormalizedRun>();
  const [live, setLive] = useState<LiveState>('connecting');
  const [updates, setUpdates] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setRun(undefined);
    setLive('connecting');
    setUpdates(0);
    void followRunEvents(`/v1/runs/${encodeURIComponent(id)}/events`, token, {
      signal: controller.signal,
      onRun: (next) => {
        setRun(next);
        setUpdates((n) => n + 1);
      },
      onLive: setLive,
    });
    return () => controller.abort();
  }, [id, token]);

  return { run, live, updates };
}
