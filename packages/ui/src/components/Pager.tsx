/** Keyset paging: the API hands a `continue` token for the next page; earlier pages are in the browser's history. */
export function Pager({ next, onFirst, onNext, isFirst }: { next: string | undefined; isFirst: boolean; onFirst: () => void; onNext: (token: string) => void }) {
  if (!next && isFirst) return null;
  return (
    <nav className="pager" aria-label="pages">
      <button type="button" onClick={onFirst} disabled={isFirst}>
        First page
      </button>
      <button type="button" onClick={() => history.back()} disabled={isFirst}>
        Previous
      </button>
      <button type="button" onClick={() => next && onNext(next)} disabled={!next}>
        Next page
      </button>
    </nav>
  );
}
