import { useCallback, useEffect, useState } from 'react';
import { apiGet } from '../api/client.js';
import { useToken } from './token.js';

export interface Query<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetches again (after a failure, or to refresh). */
  reload: () => void;
}

/**
 * GETs `path` whenever it, the token or `refreshKey` changes; `null` fetches nothing. A newer
 * request aborts an older one; the last data stays shown while a refresh is under way. `load` reads
 * it (one GET by default; `apiGetAll` for every page of a list).
 */
export function useApi<T>(
  path: string | null,
  refreshKey: unknown = 0,
  load: (path: string, token: string, signal: AbortSignal) => Promise<T> = apiGet,
): Query<T> {
  const { token } = useToken();
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: path !== null });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    load(path, token, controller.signal).then(
      (data) => setState({ data, loading: false }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ error, loading: false });
      },
    );
    return () => controller.abort();
  }, [path, token, attempt, refreshKey]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
