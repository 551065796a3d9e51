/**
 * A list's filters and page, kept in the URL (`?namespace=&selector=&phase=a,b&limit=&continue=`)
 * so a filtered view can be shared, bookmarked and reloaded. Changing a filter starts at the first
 * page.
 */
import { useCallback, useMemo } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { trailOf, trailState, type PageMove, type PageTrail } from '../lib/pager.js';

export interface ListFilters {
  namespace: string;
  selector: string;
  phases: string[];
  /** Page size: 1 to 500 as the API takes it; the page offers PAGE_SIZES, a link may carry any. */
  limit: number;
  continueToken: string | undefined;
  /** The pages this tab came through to this one (see lib/pager); none on a page opened from a link. */
  trail: PageTrail;
}

/** The page sizes the list offers. */
export const PAGE_SIZES = [20, 50, 100, 500] as const;
const DEFAULT_PAGE_SIZE = 50;

function pageSize(raw: string | null): number {
  const n = Number(raw);
  return raw !== null && Number.isInteger(n) && n >= 1 && n <= 500 ? n : DEFAULT_PAGE_SIZE;
}

/** The filters in the URL and setters that write them back. */
export function useListFilters() {
  const [params, setParams] = useSearchParams();
  const { state } = useLocation();
  const filters: ListFilters = useMemo(
    () => ({
      namespace: params.get('namespace') ?? '',
      selector: params.get('selector') ?? '',
      phases: (params.get('phase') ?? '').split(',').filter((p) => p !== ''),
      limit: pageSize(params.get('limit')),
      continueToken: params.get('continue') ?? undefined,
      trail: trailOf(state),
    }),
    [params, state],
  );
  const update = useCallback(
    (change: Partial<Omit<ListFilters, 'continueToken'>>) =>
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        const set = (key: string, value: string) => (value ? next.set(key, value) : next.delete(key));
        if (change.namespace !== undefined) set('namespace', change.namespace.trim());
        if (change.selector !== undefined) set('selector', change.selector);
        if (change.phases !== undefined) set('phase', change.phases.join(','));
        if (change.limit !== undefined) set('limit', change.limit === DEFAULT_PAGE_SIZE ? '' : String(change.limit));
        next.delete('continue');
        return next;
      }),
    [setParams],
  );
  const goToPage = useCallback(
    ({ token, trail }: PageMove) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          if (token) next.set('continue', token);
          else next.delete('continue');
          return next;
        },
        { state: trailState(trail) },
      ),
    [setParams],
  );
  return { filters, update, goToPage };
}
