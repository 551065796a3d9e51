import { describe, expect, it } from 'vitest';
import { formatLabelSelector, LabelSelectorError, matchesLabelSelector, parseLabelSelector } from '../src/index.js';

const labels = { team: 'a', tier: 'gold', canary: '', n: '5' };
const matches = (selector: string) => matchesLabelSelector(parseLabelSelector(selector), labels);

describe('parseLabelSelector', () => {
  it('parses every operator', () => {
    expect(parseLabelSelector('a=b, c==d, e!=f, g in (h, i), j notin (k), l, !m, n>1, o<2')).toEqual([
      { key: 'a', op: 'eq', value: 'b' },
      { key: 'c', op: 'eq', value: 'd' },
      { key: 'e', op: 'neq', value: 'f' },
      { key: 'g', op: 'in', values: ['h', 'i'] },
      { key: 'j', op: 'notin', values: ['k'] },
      { key: 'l', op: 'exists' },
      { key: 'm', op: 'notexists' },
      { key: 'n', op: 'gt', value: '1' },
      { key: 'o', op: 'lt', value: '2' },
    ]);
  });

  it('accepts prefixed keys, empty values and the empty selector', () => {
    expect(parseLabelSelector('jangar.proompteng.ai/id=abc-1')).toEqual([{ key: 'jangar.proompteng.ai/id', op: 'eq', value: 'abc-1' }]);
    expect(parseLabelSelector('a=,b!=')).toEqual([
      { key: 'a', op: 'eq', value: '' },
      { key: 'b', op: 'neq', value: '' },
    ]);
    expect(parseLabelSelector('   ')).toEqual([]);
    expect(parseLabelSelector('')).toEqual([]);
  });

  it('skips whitespace between any two tokens, as Kubernetes does', () => {
    expect(parseLabelSelector(' a = b ,\tc  in(x ,y) ,\n! d , e!=f ')).toEqual([
      { key: 'a', op: 'eq', value: 'b' },
      { key: 'c', op: 'in', values: ['x', 'y'] },
      { key: 'd', op: 'notexists' },
      { key: 'e', op: 'neq', value: 'f' },
    ]);
  });

  it('reads empty slots of a value set as the empty value, so `in ()` is a set of one', () => {
    expect(parseLabelSelector('x in (foo,,baz),y,z notin ()')).toEqual([
      { key: 'x', op: 'in', values: ['foo', '', 'baz'] },
      { key: 'y', op: 'exists' },
      { key: 'z', op: 'notin', values: [''] },
    ]);
    expect(parseLabelSelector('x in (,a,a,)')).toEqual([{ key: 'x', op: 'in', values: ['', 'a'] }]);
  });

  it('treats `in` and `notin` as plain words where a key or value is expected', () => {
    expect(parseLabelSelector('in in (in), notin=notin')).toEqual([
      { key: 'in', op: 'in', values: ['in'] },
      { key: 'notin', op: 'eq', value: 'notin' },
    ]);
  });

  it.each([
    ['a b', 'a b'],
    ['a in b', 'a in b'],
    ['x=1, a in (b', 'a in (b'],
    ['a in (b c), x', 'a in (b c)'],
    ['a notin', 'a notin'],
    ['=b', '=b'],
    ['in (x)', 'in (x)'],
    ['a=b=c', 'a=b=c'],
    ['a=b)', 'a=b)'],
    ['a,', ''],
    [',a', ''],
    ['team=a,,tier=b', ''],
    ['!a=b', '!a=b'],
    ['a==(b)', 'a==(b)'],
    ['team=a,bad key', 'bad key'],
    ['Bad Key=1', 'Bad Key=1'],
    ['a/b/c=1', 'a/b/c=1'],
    ['/a=1', '/a=1'],
    [`${'k'.repeat(64)}=1`, `${'k'.repeat(64)}=1`],
    ['a=-bad-', 'a=-bad-'],
    ['team=not valid!', 'team=not valid!'],
    ['a in (x,-y)', 'a in (x,-y)'],
    ['a>b', 'a>b'],
    ['a>', 'a>'],
    // A negative bound is not a valid label value, and the bound must fit an int64.
    ['a<-1', 'a<-1'],
    ['a>9223372036854775808', 'a>9223372036854775808'],
  ])('rejects %j, naming the requirement %j', (selector, token) => {
    let error: unknown;
    try {
      parseLabelSelector(selector);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LabelSelectorError);
    expect((error as LabelSelectorError).token).toBe(token);
    expect((error as LabelSelectorError).message).toContain(JSON.stringify(token));
  });

  it("words errors as Kubernetes' parser does", () => {
    expect(() => parseLabelSelector('a b')).toThrow("found 'b', expected: in, notin, =, ==, !=, gt, lt");
    expect(() => parseLabelSelector('a=b=c')).toThrow("found '=', expected: ',' or 'end of string'");
    expect(() => parseLabelSelector('a,')).toThrow("found '', expected: identifier after ','");
    expect(() => parseLabelSelector('a in (b c)')).toThrow("found 'c', expected: ',' or ')'");
  });
});

describe('matchesLabelSelector', () => {
  it.each([
    ['team=a', true],
    ['team==a', true],
    ['team=b', false],
    ['team!=a', false],
    ['team!=b', true],
    ['missing!=x', true],
    ['missing=', false],
    ['canary=', true],
    ['tier in (gold,silver)', true],
    ['tier in (silver)', false],
    ['tier notin (gold)', false],
    ['missing notin (gold)', true],
    ['canary in ()', true],
    ['tier in ()', false],
    ['tier notin ()', true],
    ['canary', true],
    ['missing', false],
    ['!canary', false],
    ['!missing', true],
    ['n>4', true],
    ['n>5', false],
    ['n<5', false],
    ['n<6', true],
    ['team>0', false],
    ['missing<9', false],
    ['team=a,tier in (bronze)', false],
    ['team=a, tier in (gold, silver), !missing', true],
    ['', true],
  ])('%j matches: %s', (selector, expected) => {
    expect(matches(selector)).toBe(expected);
  });

  it('treats missing labels as an empty set', () => {
    expect(matchesLabelSelector(parseLabelSelector('!a'), undefined)).toBe(true);
    expect(matchesLabelSelector(parseLabelSelector('a'), undefined)).toBe(false);
    expect(matchesLabelSelector(parseLabelSelector('a!=b'), undefined)).toBe(true);
  });
});

describe('formatLabelSelector', () => {
  it('formats requirements back to the canonical form', () => {
    expect(formatLabelSelector(parseLabelSelector('a = b, c in (x, y), !d, e'))).toBe('a=b,c in (x,y),!d,e');
    expect(formatLabelSelector(parseLabelSelector('n > 1, o<2, p notin (), q=='))).toBe('n>1,o<2,p notin (),q=');
  });
});
