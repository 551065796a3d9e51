/**
 * What no valid request carries, refused once, before any handler, as a 400 naming where it was:
 *
 * - U+0000: Kubernetes names and labels cannot hold it, and Postgres text and jsonb refuse it, so
 *   a NUL that got past the gateway failed later as a database error — a 500 (found by fuzzing).
 * - A body nested deeper than MAX_BODY_DEPTH: free-form fields (a merge patch's spec, an Agent's
 *   config) took any depth, and a few thousand levels overflowed the stack of the first recursive
 *   step after the parser (the request fingerprint) — a 500 (found by fuzzing). Every later step
 *   (the bus, Kubernetes, Postgres jsonb, the audit hash) would be the next to fail.
 * - A lone surrogate (a `\uD800`–`\uDFFF` escape with no partner): JSON lets a string carry one,
 *   but it is no Unicode character, and Postgres jsonb refuses it — the claim failed, a 500.
 */
import type { FastifyInstance } from 'fastify';
import { MAX_BODY_DEPTH } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';

/** A value no request may carry: where it was (dotted, from `root`) and what is wrong with it. */
export type Unacceptable = { path: string; message: string; detail: string };

// With the `u` flag a string is read by code points, so a well-formed pair is one character and
// only a lone half is in the Surrogate category.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** What is wrong with a string no field may hold, if anything. */
function badText(text: string): 'nul' | 'surrogate' | undefined {
  if (text.includes('\u0000')) return 'nul';
  return LONE_SURROGATE.test(text) ? 'surrogate' : undefined;
}

/**
 * The first NUL, lone surrogate or over-deep container in `value`, walked without recursion so
 * deep bodies cannot overflow the stack. The root object is level 1.
 */
export function findUnacceptable(value: unknown, root: string): Unacceptable | undefined {
  const stack: Array<[unknown, string, number]> = [[value, root, 1]];
  while (stack.length > 0) {
    const [v, path, level] = stack.pop()!;
    if (typeof v === 'string') {
      const bad = badText(v);
      if (bad) return refused(bad, path);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (level > MAX_BODY_DEPTH) {
      return {
        path,
        message: `must not nest deeper than ${MAX_BODY_DEPTH} levels`,
        detail: `the body nests deeper than ${MAX_BODY_DEPTH} levels`,
      };
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${path}[${i}]`, level + 1]));
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      const bad = badText(key);
      if (bad) return refused(bad, `${path}.${escaped(key)}`);
      stack.push([item, `${path}.${key}`, level + 1]);
    }
  }
  return undefined;
}

function refused(bad: 'nul' | 'surrogate', path: string): Unacceptable {
  if (bad === 'nul') {
    return {
      path,
      message: 'must not contain the NUL character (U+0000)',
      detail: `${fieldOf(path)} contains the NUL character (U+0000), which no field may hold`,
    };
  }
  return {
    path,
    message: 'must be well-formed Unicode: a lone surrogate (U+D800 to U+DFFF) is no character',
    detail: `${fieldOf(path)} contains a lone surrogate (U+D800 to U+DFFF), which no field may hold`,
  };
}

/** A key as a path shows it: what cannot be printed is escaped. */
function escaped(key: string): string {
  return key.replace(/\u0000|\p{Surrogate}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A body path as the problem's `errors` name it: relative to the body, which is `body` itself. */
function fieldOf(path: string): string {
  return path.replace(/^body\.?/, '') || 'body';
}

/** Refuses any request with a NUL or lone surrogate in its path parameters, query or body, or a body nested too deep. */
export function refuseUnacceptable(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const found = findUnacceptable(req.params, 'path') ?? findUnacceptable(req.query, 'query') ?? findUnacceptable(req.body, 'body');
    if (found === undefined) return;
    throw new DomainError('validation_failed', found.detail, { errors: [{ path: fieldOf(found.path), message: found.message }] });
  });
}
