import { z } from 'zod';
import { ERROR_CODE_LIST } from './errors.js';
import { Condition } from './meta.js';

/** One failing field of a request, as a JSON path from the body's root. */
export const FieldError = z.object({
  path: z.string(),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldError>;

/** One rule a request breaks: which rule, where in the request, why, and — when a policy resource set it — which policy and its mode. */
export const Violation = z.object({
  ruleId: z.string(),
  path: z.string(),
  reason: z.string(),
  policy: z.string().optional(),
  mode: z.enum(['enforce', 'audit']).optional(),
});
export type Violation = z.infer<typeof Violation>;

/** RFC 9457 problem details, with Jangar's stable `code`, failing field paths and, for a policy denial, the violations. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  code: z.enum(ERROR_CODE_LIST as [string, ...string[]]),
  errors: z.array(FieldError).optional(),
  violations: z.array(Violation).optional(),
  /** For a refused run: the phase it would stand in and the conditions saying why (`Blocked`, `InvalidSpec`). */
  phase: z.enum(['Pending', 'Failed', 'Cancelled']).optional(),
  conditions: z.array(Condition).optional(),
  traceId: z.string().optional(),
});
export type Problem = z.infer<typeof Problem>;

/** Turns a zod error into field errors with dotted paths (`spec.agentRef.name`, `spec.steps[0].name`). */
export function fieldErrorsFromZod(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldError[] {
  return error.issues.flatMap((issue) => {
    const at = [...prefix, ...(issue.path as (string | number)[])];
    // An unknown field is named where it stands, not at the object that holds it.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: formatPath([...at, key]), message: 'unknown field' }));
    return [{ path: formatPath(at), message: issue.message }];
  });
}

/** Formats a path array the way users write it: `spec.steps[0].name`. */
export function formatPath(path: readonly (string | number | symbol)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}
