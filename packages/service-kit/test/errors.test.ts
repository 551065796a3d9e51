import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError, isDeterministicFailure, TransientError } from '../src/errors.js';

describe('a failure no retry can fix', () => {
  it('is a programming error, a message breaking a schema, or a refusal that says no', () => {
    expect(isDeterministicFailure(new TypeError("Cannot read properties of undefined (reading 'spec')"))).toBe(true);
    expect(isDeterministicFailure(new RangeError('Invalid array length'))).toBe(true);
    expect(isDeterministicFailure(z.object({ n: z.number() }).safeParse({ n: 'x' }).error)).toBe(true);
    expect(isDeterministicFailure(new DomainError('validation_failed', 'spec.agentRef is required'))).toBe(true);
  });

  it('is not a dependency that failed, a refusal that says "not now", nor anything not known to be one', () => {
    expect(isDeterministicFailure(new TransientError('the API server did not answer'))).toBe(false);
    // fetch's network failure is a TypeError, with the socket's error as its cause.
    expect(
      isDeterministicFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) })),
    ).toBe(false);
    expect(isDeterministicFailure(new DomainError('unavailable', 'postgres is down'))).toBe(false);
    expect(isDeterministicFailure(new DomainError('concurrency_limit', 'too many runs'))).toBe(false);
    expect(isDeterministicFailure(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(false);
    expect(isDeterministicFailure('a string')).toBe(false);
  });
});
