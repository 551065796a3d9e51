import { MAX_BODY_DEPTH } from '@jangar/contracts';
import { describe, expect, it } from 'vitest';
import { findUnacceptable } from '../src/input-guard.js';

/** `levels` arrays, one inside the other, around a string. */
const arrays = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}"leaf"${']'.repeat(levels)}`);

describe('findUnacceptable', () => {
  it('takes a body nested exactly as deep as the limit', () => {
    expect(findUnacceptable(arrays(MAX_BODY_DEPTH), 'body')).toBeUndefined();
  });

  it('names the first array past the limit by its index path', () => {
    expect(findUnacceptable(arrays(MAX_BODY_DEPTH + 1), 'body')).toMatchObject({
      path: `body${'[0]'.repeat(MAX_BODY_DEPTH)}`,
      message: `must not nest deeper than ${MAX_BODY_DEPTH} levels`,
    });
  });

  it('walks twenty thousand levels without overflowing the stack', () => {
    expect(findUnacceptable(arrays(20_000), 'body')?.path).toMatch(/^body(\[0\]){100}$/);
  });

  it('counts scalars as no level of their own', () => {
    expect(findUnacceptable({ a: [1, 'two', null, true] }, 'body')).toBeUndefined();
  });

  it('names a NUL in a key with the NUL escaped', () => {
    expect(findUnacceptable({ labels: { 'a\u0000b': 'x' } }, 'body')?.path).toBe('body.labels.a\\u0000b');
  });

  it('refuses a lone surrogate in a value, and in a key with the surrogate escaped', () => {
    expect(findUnacceptable({ spec: { text: 'a\ud800b' } }, 'body')).toMatchObject({
      path: 'body.spec.text',
      message: expect.stringContaining('lone surrogate'),
    });
    expect(findUnacceptable({ config: { '\udc00x': 'v' } }, 'body')?.path).toBe('body.config.\\udc00x');
  });

  it('takes characters outside the Basic Multilingual Plane, whose surrogates come in pairs', () => {
    expect(findUnacceptable({ text: 'deploy 🚀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢' }, 'body')).toBeUndefined();
  });
});
