import { nextPage, previousPage, firstPage, type PageMove, type PageTrail } from '../lib/pager.js';

/**
 * Keyset paging: Next follows the API's `continue` token; Previous goes back along the pages this
 * tab came through (see lib/pager), and is off on a page opened from a link, where First page remains.
 */
export function Pager({
  current,
  next,
  trail,
  onGo,
  nextLabel = 'Next page',
  label = 'pages',
}: {
  /** The continue token of the page shown (none: the first page). */
  current: string | undefined;
  /** The API's continue token for the page after it. */
  next: string | undefined;
  trail: PageTrail;
  onGo: (move: PageMove) => void;
  nextLabel?: string;
  /** The accessible name of the controls, when a page has more than one pager. */
  label?: string;
}) {
  const isFirst = current === undefined;
  if (!next && isFirst) return null;
  const previous = isFirst ? undefined : previousPage(trail);
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" onClick={() => onGo(firstPage)} disabled={isFirst}>
        First page
      </button>
      <button type="button" onClick={() => previous && onGo(previous)} disabled={!previous}>
        Previous
      </button>
      <button type="button" onClick={() => next && onGo(nextPage(trail, current, next))} disabled={!next}>
        {nextLabel}
      </button>
    </nav>
  );
}
