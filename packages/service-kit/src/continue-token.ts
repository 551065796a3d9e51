import type { z } from 'zod';
import { DomainError } from './errors.js';

/**
 * An opaque `continue` token for keyset paging: the last item's sort key, as base64url JSON,
 * checked by `schema` on the way back in. A token this API did not hand out is a 400 naming
 * `path`, never a database error.
 */
export function continueToken<S extends z.ZodType>(schema: S, path = 'query.continue') {
  return {
    encode: (key: z.infer<S>): string => Buffer.from(JSON.stringify(key)).toString('base64url'),
    decode(token: string): z.infer<S> {
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.from(token, 'base64url').toString());
      } catch {
        raw = undefined;
      }
      const parsed = schema.safeParse(raw);
      if (parsed.success) return parsed.data;
      throw new DomainError('validation_failed', 'the continue token is not valid', {
        errors: [{ path, message: 'not a token this API returned' }],
      });
    },
  };
}
