import { describe, expect, it } from 'vitest';
import { parsePrefer, waitBudgetMs } from '../src/prefer.js';

describe('the Prefer header (RFC 7240)', () => {
  it('reads respond-async and wait, in any case and with spaces', () => {
    expect(parsePrefer('respond-async, wait=5')).toEqual({ respondAsync: true, waitSeconds: 5 });
    expect(parsePrefer(' Respond-Async ;foo=bar , WAIT = "3"')).toEqual({ respondAsync: true, waitSeconds: 3 });
  });

  it('takes the first of a preference sent twice, across repeated headers', () => {
    expect(parsePrefer(['wait=1', 'wait=9, respond-async'])).toEqual({ respondAsync: true, waitSeconds: 1 });
  });

  it('ignores what it does not know and a wait that is not a number of seconds', () => {
    expect(parsePrefer(undefined)).toEqual({ respondAsync: false, waitSeconds: undefined });
    expect(parsePrefer('return=minimal, handling=strict')).toEqual({ respondAsync: false, waitSeconds: undefined });
    for (const bad of ['wait=-1', 'wait=1.5', 'wait=soon', 'wait', 'wait=', 'wait=99999999999']) {
      expect(parsePrefer(bad).waitSeconds).toBeUndefined();
    }
  });

  it('lets a client shorten the wait, never lengthen it, and skip it with respond-async', () => {
    const none = { respondAsync: false, waitSeconds: undefined };
    expect(waitBudgetMs(none, 2_000)).toBe(2_000);
    expect(waitBudgetMs({ respondAsync: true, waitSeconds: undefined }, 2_000)).toBe(0);
    expect(waitBudgetMs({ ...none, waitSeconds: 1 }, 2_000)).toBe(1_000);
    expect(waitBudgetMs({ ...none, waitSeconds: 60 }, 2_000)).toBe(2_000);
    expect(waitBudgetMs({ respondAsync: true, waitSeconds: 1 }, 2_000)).toBe(1_000);
    expect(waitBudgetMs({ ...none, waitSeconds: 0 }, 2_000)).toBe(0);
  });
});
