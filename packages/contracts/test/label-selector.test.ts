import { describe, expect, it } from 'vitest';
import { formatLabelSelector, LabelSelectorError, matchesLabelSelector, parseLabelSelector } from '../src/index.js';

const labels = { team: 'a', tier: 'gold', canary: '' };
const matches = (selector: string) => matchesLabelSelector(parseLabelSelector(selector), labels);

describe('label selectors', () => {
  it.each([
    ['team=a', true],
    ['team==a', true],
    ['team!=a', false],
    ['team!=b', true],
    ['missing!=x', true],
    ['tier in (gold,silver)', true],
    ['tier notin (gold)', false],
    ['missing notin (gold)', true],
    ['canary', true],
    ['!canary', false],
    ['!missing', true],
    ['team=a,tier in (bronze)', false],
    ['team=a, tier in (gold, silver), !missing', true],
    ['', true],
  ])('%s matches: %s', (selector, expected) => {
    expect(matches(selector)).toBe(expected);
  });

  it.each(['team=a=b', 'in (x)', 'team in ()', 'Bad Key=x', 'team=a,,tier=b', 'team=not valid!'])(
    'rejects %s, naming the bad token',
    (selector) => {
      expect(() => parseLabelSelector(selector)).toThrow(LabelSelectorError);
    },
  );

  it('names the offending requirement', () => {
    try {
      parseLabelSelector('team=a,bad key');
      expect.unreachable();
    } catch (err) {
      expect((err as LabelSelectorError).token).toBe('bad key');
    }
  });

  it('formats requirements back to the canonical form', () => {
    expect(formatLabelSelector(parseLabelSelector('a = b, c in (x, y), !d, e'))).toBe('a=b,c in (x,y),!d,e');
  });
});
