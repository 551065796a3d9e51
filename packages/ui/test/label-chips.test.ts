import { describe, expect, it } from 'vitest';
import { addChips, chipsOf, removeChip, selectorOf } from '../src/lib/label-chips.js';

describe('label selector chips', () => {
  it('splits a selector into one chip per requirement, set-based ones kept whole', () => {
    expect(chipsOf('app=web,tier in (1,2),!canary,env').chips).toEqual(['app=web', 'tier in (1,2)', '!canary', 'env']);
  });

  it('has no chips for an empty selector', () => {
    expect(chipsOf('  ')).toEqual({ chips: [] });
  });

  it('names what is wrong with a malformed selector, as the API would refuse it', () => {
    const parsed = chipsOf('app in (web');
    expect(parsed.chips).toEqual([]);
    expect(parsed.error).toBeTruthy();
  });

  it('adds typed requirements (several at once) and keeps a duplicate once', () => {
    expect(addChips(['app=web'], 'tier!=2, app=web')).toEqual({ chips: ['app=web', 'tier!=2'] });
  });

  it('refuses to add a malformed requirement and keeps the chips it had', () => {
    const next = addChips(['app=web'], 'tier in');
    expect(next.chips).toEqual(['app=web']);
    expect(next.error).toBeTruthy();
  });

  it('removes one chip and joins the rest into the selector the API receives', () => {
    const chips = removeChip(['app=web', 'tier in (1,2)', '!canary'], 1);
    expect(selectorOf(chips)).toBe('app=web,!canary');
    expect(chipsOf(selectorOf(chips)).chips).toEqual(chips);
  });
});
