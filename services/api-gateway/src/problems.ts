import {
  ERROR_CODES,
  PROBLEM_TYPE_BASE,
  type ErrorCode,
  type FieldError,
  type Problem,
  type RefusedRunState,
  type Violation,
} from '@jangar/contracts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Builds an RFC 9457 problem body; the HTTP status comes from the one code registry. */
export function problemFor(
  code: ErrorCode,
  detail: string,
  extra: { errors?: FieldError[]; violations?: Violation[]; instance?: string; traceId?: string; run?: RefusedRunState } = {},
): Problem {
  const entry = ERROR_CODES[code];
  return {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: entry.title,
    status: entry.status,
    detail,
    code,
    ...(extra.instance ? { instance: extra.instance } : {}),
    ...(extra.errors && extra.errors.length > 0 ? { errors: extra.errors } : {}),
    ...(extra.violations && extra.violations.length > 0 ? { violations: extra.violations } : {}),
    ...(extra.run ? { phase: extra.run.phase, conditions: extra.run.conditions } : {}),
    ...(extra.traceId ? { traceId: extra.traceId } : {}),
  };
}
