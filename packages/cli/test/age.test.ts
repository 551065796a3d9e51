import { describe, expect, it } from 'vitest';
import { age, humanDuration, timeUntil } from '../src/output/age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration, as kubectl prints ages', () => {
  it.each([
    [-3 * s, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 7 * s, '3m7s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [2 * h + 30 * m, '150m'],
    [5 * h + 15 * m, '5h15m'],
    [8 * h + 15 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [4 * d + 5 * h, '4d5h'],
    [8 * d, '8d'],
    [400 * d, '400d'],
    [2 * 365 * d, '2y'],
    [3 * 365 * d + 10 * d, '3y10d'],
    [9 * 365 * d, '9y'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('measures from a timestamp to now', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(age('2026-11-25T09:57:00Z', now)).toBe('3m');
    expect(age('2026-11-21T10:00:00Z', now)).toBe('4d');
    expect(age(undefined, now)).toBe('<unknown>');
    expect(age('yesterday', now)).toBe('<unknown>');
  });
});

describe('timeUntil', () => {
  it('says how long until a time, as the EXPIRES columns print it', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(timeUntil('2026-11-25T10:59:00Z', now)).toBe('in 59m');
    expect(timeUntil('2026-11-26T10:00:00Z', now)).toBe('in 24h');
  });
});
