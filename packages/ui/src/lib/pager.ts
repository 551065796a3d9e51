/**
 * Keyset paging has no "previous" token: the API only hands the next page's. So the pages before
 * this one are remembered on the way forward, in the history entry of each page reached with Next
 * (router state, not the URL: a shared or bookmarked link opens on its page with no trail, and its
 * Previous is off — the way back then is First page, never the browser's back into another site).
 */

/** The continue tokens of the pages before this one, oldest first; `''` is the first page. */
export type PageTrail = readonly string[];

/** A page to go to: its continue token (none: the first page) and the trail its entry keeps. */
export interface PageMove {
  token: string | undefined;
  trail: PageTrail;
}

/** The trail in a history entry's state; anything else (no state, a link opened anew) is none. */
export function trailOf(state: unknown): PageTrail {
  const trail = state && typeof state === 'object' ? (state as { pageTrail?: unknown }).pageTrail : undefined;
  return Array.isArray(trail) && trail.every((t) => typeof t === 'string') ? trail : [];
}

/** The state a history entry keeps for `trail`. */
export const trailState = (trail: PageTrail) => ({ pageTrail: trail });

/** Next from the page at `current` (none: the first page): the page at `next`, with this one on the trail. */
export function nextPage(trail: PageTrail, current: string | undefined, next: string): PageMove {
  return { token: next, trail: [...trail, current ?? ''] };
}

/** Previous from a page with `trail`: the last page on it; undefined when this page was not reached with Next here. */
export function previousPage(trail: PageTrail): PageMove | undefined {
  if (trail.length === 0) return undefined;
  const token = trail[trail.length - 1];
  return { token: token === '' ? undefined : token, trail: trail.slice(0, -1) };
}

/** The first page, with no trail. */
export const firstPage: PageMove = { token: undefined, trail: [] };
