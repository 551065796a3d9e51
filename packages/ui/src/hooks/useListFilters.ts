/**
 * A list's filters and page, kept in the URL (`?namespace=&selector=&phase=a,b&continue=`) so a
 * filtered view can be shared, bookmarked and reloaded. Changing a filter starts at the first page.
 */
import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';

export interface ListFilters {
  namespace: string;
  selector: string;
  phases: string[];
  continueToken: string | undefined;
}

/** The filters in the URL and setters that write them back. */
export function useListFilters() {
  const [params, setParams] = useSearchParams();
  const filters: ListFilters = useMemo(
    () => ({
      namespace: params.get('namespace') ?? '',
      selector: params.get('selector') ?? '',
      phases: (params.get('phase') ?? '').split(',').filter((p) => p !== ''),
      continueToken: params.get('continue') ?? undefined,
    }),
    [params],
  );
  const update = useCallback(
    (change: Partial<Omit<ListFilters, 'continueToken'>>) =>
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        const set = (key: string, value: string) => (value ? next.set(key, value) : next.delete(key));
        if (change.namespace !== undefined) set('namespace', change.namespace.trim());
        if (change.selector !== undefined) set('selector', change.selector);
        if (change.phases !== undefined) set('phase', change.phases.join(','));
        next.delete('continue');
        return next;
      }),
    [setParams],
  );
  const goToPage = useCallback(
    (token: string | undefined) =>
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        if (token) next.set('continue', token);
        else next.delete('continue');
        return next;
      }),
    [setParams],
  );
  return { filters, update, goToPage };
}
