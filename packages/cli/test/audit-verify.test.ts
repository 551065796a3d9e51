import { describe, expect, it } from 'vitest';
import type { ChainVerification } from '@jangar/contracts';
import { verifyWholeChain } from '../src/commands/audit.js';

/** A server answering `pages` in order, recording the token each request carried. */
function server(pages: ChainVerification[]) {
  const tokens: Array<string | undefined> = [];
  const page = async (token: string | undefined) => {
    tokens.push(token);
    const next = pages[tokens.length - 1];
    if (!next) throw new Error('asked for a page past the last');
    return next;
  };
  return { page, tokens };
}

describe('jangar audit verify, page by page', () => {
  it('follows the continue tokens to the end, reporting each page, and sums the events checked', async () => {
    const { page, tokens } = server([
      { intact: true, checked: 50_000, verifiedThrough: 50_000, continue: 't1' },
      { intact: true, checked: 50_000, verifiedThrough: 100_000, continue: 't2' },
      { intact: true, checked: 7, verifiedThrough: 100_007 },
    ]);
    const seen: Array<[number | undefined, number]> = [];
    const result = await verifyWholeChain(page, (p, checked) => seen.push([p.verifiedThrough, checked]));
    expect(tokens).toEqual([undefined, 't1', 't2']);
    expect(seen).toEqual([
      [50_000, 50_000],
      [100_000, 100_000],
      [100_007, 100_007],
    ]);
    expect(result).toEqual({ intact: true, checked: 100_007, verifiedThrough: 100_007 });
  });

  it('stops at the first broken link, counting the events checked before it', async () => {
    const firstBroken = { seq: 60_001, id: 'e', reason: 'content_changed' as const, detail: 'the row no longer matches its hash' };
    const { page, tokens } = server([
      { intact: true, checked: 50_000, verifiedThrough: 50_000, continue: 't1' },
      { intact: false, checked: 10_000, verifiedThrough: 60_000, firstBroken },
    ]);
    expect(await verifyWholeChain(page)).toEqual({ intact: false, checked: 60_000, verifiedThrough: 60_000, firstBroken });
    expect(tokens).toEqual([undefined, 't1']);
  });

  it('gives up on a server that hands back a token without walking further', async () => {
    const { page } = server([
      { intact: true, checked: 5, verifiedThrough: 5, continue: 't1' },
      { intact: true, checked: 0, verifiedThrough: 5, continue: 't1' },
    ]);
    await expect(verifyWholeChain(page)).rejects.toThrow(/no progress/);
  });
});
