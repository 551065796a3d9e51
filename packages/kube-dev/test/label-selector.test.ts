import { describe, expect, it } from 'vitest';
import { matchesLabels, parseLabelSelector, SelectorSyntaxError } from '../src/index.js';

const select = (selector: string, labels: Record<string, string>): boolean => matchesLabels(parseLabelSelector(selector), labels);

describe('parseLabelSelector', () => {
  it('parses every operator', () => {
    expect(parseLabelSelector('a=b, c==d, e!=f, g in (h, i), j notin (k), l, !m, n>1, o<2')).toEqual([
      { key: 'a', op: 'in', values: ['b'] },
      { key: 'c', op: 'in', values: ['d'] },
      { key: 'e', op: 'notin', values: ['f'] },
      { key: 'g', op: 'in', values: ['h', 'i'] },
      { key: 'j', op: 'notin', values: ['k'] },
      { key: 'l', op: 'exists' },
      { key: 'm', op: 'notexists' },
      { key: 'n', op: 'gt', value: 1 },
      { key: 'o', op: 'lt', value: 2 },
    ]);
  });

  it('accepts prefixed keys, empty values and the empty selector', () => {
    expect(parseLabelSelector('jangar.proompteng.ai/id=abc-1')).toEqual([{ key: 'jangar.proompteng.ai/id', op: 'in', values: ['abc-1'] }]);
    expect(parseLabelSelector('a=')).toEqual([{ key: 'a', op: 'in', values: [''] }]);
    expect(parseLabelSelector('   ')).toEqual([]);
  });

  it.each(['a b', 'a in b', 'a in (b', 'a in ()', '=b', 'a=b=c', 'a,', ',a', '!a=b', 'a==(b)', 'Bad Key=1', 'a=-bad-', 'a>b', 'a notin'])(
    'rejects %j',
    (selector) => {
      expect(() => parseLabelSelector(selector)).toThrow(SelectorSyntaxError);
    },
  );
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db,web)', true],
    ['app in (db)', false],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['n>4', true],
    ['n<5', false],
    ['', true],
  ])('%j → %s', (selector, expected) => {
    expect(select(selector, labels)).toBe(expected);
  });

  it('treats missing labels as an empty set', () => {
    expect(matchesLabels(parseLabelSelector('!a'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('a'), undefined)).toBe(false);
  });
});
