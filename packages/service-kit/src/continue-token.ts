import { z } from 'zod';
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

const MICROS = /^(\d{4})-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** The SQL that reads a timestamptz `column` as a {@link cursorInstant}: UTC, to the microsecond. */
export function cursorInstantSql(column: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/**
 * A cursor's timestamp: RFC 3339 in UTC with microseconds, as Postgres keeps them, naming an instant
 * that exists. The form alone lets through a 13th month or a 30th of February, which Postgres
 * refuses with an error; a token is client input, so that must be a 400, not a 500.
 */
export const cursorInstant = z.string().refine((at) => {
  const form = MICROS.exec(at);
  if (!form || Number(form[1]) < 1) return false;
  // Date rolls an impossible day or hour over into the next; a round trip shows whether it did.
  const millis = new Date(at.slice(0, 23) + 'Z');
  return !Number.isNaN(millis.getTime()) && millis.toISOString() === at.slice(0, 23) + 'Z';
}, 'not an RFC 3339 UTC timestamp with microseconds');
