import { z } from 'zod';
import { ERROR_CODE_LIST } from './errors.js';

/** One failing field of a request, as a JSON path from the body's root. */
export const FieldError = z.object({
  path: z.string(),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldError>;

/** RFC 9457 problem details, with Jangar's stable `code` and failing field paths. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  code: z.enum(ERROR_CODE_LIST as [string, ...string[]]),
  errors: z.array(FieldError).optional(),
  traceId: z.string().optional(),
});
export type Problem = z.infer<typeof Problem>;

/** Turns a zod error into field errors with dotted paths (`spec.agentRef.name`, `spec.steps[0].name`). */
export function fieldErrorsFromZod(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    path: formatPath([...prefix, ...(issue.path as (string | number)[])]),
    message: issue.message,
  }));
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
