/**
 * No valid request carries U+0000: Kubernetes names and labels cannot hold it, and Postgres text
 * and jsonb refuse it, so a NUL that got past the gateway failed later as a database error — a
 * 500 (found by fuzzing). It is refused here, once, for the path, the query and the body, as a
 * 400 naming where it was.
 */
import type { FastifyInstance } from 'fastify';
import { DomainError } from '@jangar/service-kit';

/** The dotted path of the first string (or key) in `value` that holds a NUL, walked without recursion so deep bodies cannot overflow the stack. */
export function findNul(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        if (key.includes('\u0000')) return `${path}.${key.replaceAll('\u0000', '\\u0000')}`;
        stack.push([item, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}

/** Refuses any request with a NUL in its path parameters, query or body. */
export function refuseNul(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const path = findNul(req.params, 'path') ?? findNul(req.query, 'query') ?? findNul(req.body, 'body');
    if (path === undefined) return;
    const field = path.replace(/^body\.?/, '') || 'body';
    throw new DomainError('validation_failed', `${field} contains the NUL character (U+0000), which no field may hold`, {
      errors: [{ path: field, message: 'must not contain the NUL character (U+0000)' }],
    });
  });
}
