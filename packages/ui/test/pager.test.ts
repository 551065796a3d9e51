import { describe, expect, it } from 'vitest';
import { firstPage, nextPage, previousPage, trailOf, trailState } from '../src/lib/pager.js';

describe('list paging', () => {
  it('offers no Previous on a paged link opened in a new tab: its history entry holds no trail, so only First page leads back', () => {
    expect(trailOf(null)).toEqual([]);
    expect(trailOf(undefined)).toEqual([]);
    expect(previousPage(trailOf(null))).toBeUndefined();
    expect(firstPage).toEqual({ token: undefined, trail: [] });
  });

  it('goes back along the pages reached with Next, to the first page', () => {
    const second = nextPage(trailOf(null), undefined, 'c2');
    const third = nextPage(trailOf(trailState(second.trail)), second.token, 'c3');
    expect(third).toEqual({ token: 'c3', trail: ['', 'c2'] });

    const back = previousPage(trailOf(trailState(third.trail)));
    expect(back).toEqual({ token: 'c2', trail: [''] });
    expect(previousPage(back!.trail)).toEqual({ token: undefined, trail: [] });
  });

  it('starts a trail at the page a shared link opened, so Previous never leaves it', () => {
    const opened = 'c7';
    const next = nextPage(trailOf(null), opened, 'c8');
    expect(previousPage(next.trail)).toEqual({ token: 'c7', trail: [] });
    expect(previousPage([])).toBeUndefined();
  });

  it('ignores a history state that is not a trail', () => {
    expect(trailOf({ pageTrail: 'c2' })).toEqual([]);
    expect(trailOf({ pageTrail: ['c2', 3] })).toEqual([]);
    expect(trailOf({ other: true })).toEqual([]);
  });
});
