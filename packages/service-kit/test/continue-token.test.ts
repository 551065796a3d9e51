import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { continueToken, cursorInstant, DomainError } from '../src/index.js';

const cursor = continueToken(z.object({ at: cursorInstant, id: z.string() }));
const token = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

describe('continueToken', () => {
  it('gives back the key it encoded', () => {
    const key = { at: '2026-11-26T20:45:01.123456Z', id: 'run-1' };
    expect(cursor.decode(cursor.encode(key))).toEqual(key);
  });

  it('refuses a token that is not base64url JSON with validation_failed naming the query parameter', () => {
    for (const bad of ['%%%', 'not-json', token({ id: 'x' })]) {
      expect(() => cursor.decode(bad)).toThrow(DomainError);
      expect(() => cursor.decode(bad)).toThrow(
        expect.objectContaining({ code: 'validation_failed', errors: [expect.objectContaining({ path: 'query.continue' })] }),
      );
    }
  });
});

describe('cursorInstant', () => {
  it.each(['2026-11-26T20:45:01.123456Z', '2024-02-29T23:59:59.999999Z', '0001-01-01T00:00:00.000000Z'])('takes %s', (at) => {
    expect(cursorInstant.safeParse(at).success).toBe(true);
  });

  it.each([
    ['a 13th month', '2026-13-01T00:00:00.000000Z'],
    ['a 30th of February', '2026-02-30T00:00:00.000000Z'],
    ['the 29th of February of a common year', '2025-02-29T00:00:00.000000Z'],
    ['hour 99', '2026-11-26T99:00:00.000000Z'],
    ['minute 60', '2026-11-26T10:60:00.000000Z'],
    ['year zero, which Postgres has not', '0000-01-01T00:00:00.000000Z'],
    ['milliseconds only', '2026-11-26T20:45:01.123Z'],
    ['an offset instead of Z', '2026-11-26T20:45:01.123456+01:00'],
  ])('refuses %s', (_, at) => {
    expect(cursorInstant.safeParse(at).success).toBe(false);
  });

  it('turns a token with an impossible instant into validation_failed, not a database error', () => {
    expect(() => cursor.decode(token({ at: '2026-02-30T00:00:00.000000Z', id: 'x' }))).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
  });
});
