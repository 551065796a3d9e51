import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrorsFromZod } from '../src/index.js';

describe('field errors', () => {
  const Body = z.strictObject({ metadata: z.strictObject({ name: z.string() }), steps: z.array(z.strictObject({ name: z.string() })) });
  const errorsOf = (value: unknown, prefix?: string[]) => {
    const parsed = Body.safeParse(value);
    return parsed.success ? [] : fieldErrorsFromZod(parsed.error, prefix);
  };

  it('names each unknown field where it stands, not the object holding it', () => {
    expect(errorsOf({ metadata: { name: 'a', nmae: 'b' }, steps: [{ name: 's', retry: 1, extra: 2 }], verdict: 'x' })).toEqual([
      { path: 'metadata.nmae', message: 'unknown field' },
      { path: 'steps[0].retry', message: 'unknown field' },
      { path: 'steps[0].extra', message: 'unknown field' },
      { path: 'verdict', message: 'unknown field' },
    ]);
  });

  it('writes paths as users do, under a prefix when given', () => {
    expect(errorsOf({ metadata: {}, steps: [{}] }, ['body'])).toEqual([
      { path: 'body.metadata.name', message: expect.any(String) },
      { path: 'body.steps[0].name', message: expect.any(String) },
    ]);
  });
});
