import { describe, expect, it } from 'vitest';
import { ApiError, ConnectionError, EXIT, exitCodeForStatus, exitCodeOf, Interrupted, ReportedFailure, UsageError } from '../src/errors.js';
import { formatProblem, problemOf } from '../src/problem.js';

describe('problem+json errors', () => {
  it('print the detail and code, then each failing field by path', () => {
    const problem = problemOf(
      422,
      'Unprocessable Entity',
      JSON.stringify({
        type: 'https://jangar.proompteng.ai/problems/reference_not_found',
        title: 'A referenced resource does not exist',
        status: 422,
        detail: 'Agent "x" does not exist in namespace "team-a"',
        code: 'reference_not_found',
        errors: [{ path: 'spec.agentRef.name', message: 'Agent "x" not found in namespace "team-a"' }],
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      }),
    );
    expect(formatProblem(problem)).toEqual([
      'error: Agent "x" does not exist in namespace "team-a" (reference_not_found)',
      '  spec.agentRef.name: Agent "x" not found in namespace "team-a"',
      '  trace id: 4bf92f3577b34da6a3ce929d0e0e4736',
    ]);
    expect(formatProblem(problem, 'agentrun.agents.proompteng.ai/r1')[0]).toBe(
      'error: agentrun.agents.proompteng.ai/r1: Agent "x" does not exist in namespace "team-a" (reference_not_found)',
    );
  });

  it('print policy violations with their rule, policy and mode', () => {
    const problem = problemOf(
      403,
      'Forbidden',
      JSON.stringify({
        title: 'Denied by policy',
        status: 403,
        detail: 'denied by policy',
        code: 'policy_denied',
        violations: [
          {
            ruleId: 'runtime-type-allowed',
            path: 'spec.runtime.type',
            reason: '"workflow" is not allowed',
            policy: 'team-a/default',
            mode: 'enforce',
          },
        ],
        traceId: '00000000000000000000000000000000',
      }),
    );
    expect(formatProblem(problem)).toEqual([
      'error: denied by policy (policy_denied)',
      '  spec.runtime.type: "workflow" is not allowed [runtime-type-allowed; policy team-a/default, enforce]',
    ]);
  });

  it('make do with answers that are no problem at all', () => {
    expect(formatProblem(problemOf(502, 'Bad Gateway', '<html>upstream died</html>'))).toEqual([
      'error: <html>upstream died</html> (HTTP 502)',
    ]);
    expect(formatProblem(problemOf(500, 'Internal Server Error', ''))).toEqual(['error: Internal Server Error (HTTP 500)']);
  });
});

describe('exit codes', () => {
  const api = (status: number) => new ApiError(status, { title: 't', status }, 'GET', '/');
  it('map every failure to one code a script can trust', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(EXIT.usage);
    expect(exitCodeOf(api(400))).toBe(EXIT.rejected);
    expect(exitCodeOf(api(403))).toBe(EXIT.rejected);
    expect(exitCodeOf(api(422))).toBe(EXIT.rejected);
    expect(exitCodeOf(api(404))).toBe(EXIT.notFound);
    expect(exitCodeOf(api(503))).toBe(EXIT.unavailable);
    expect(exitCodeOf(new ConnectionError('http://x', 'refused'))).toBe(EXIT.unavailable);
    expect(exitCodeOf(new ReportedFailure(EXIT.rejected))).toBe(1);
    expect(exitCodeOf(new Interrupted())).toBe(130);
    expect(exitCodeForStatus(200)).toBe(0);
    expect([EXIT.ok, EXIT.rejected, EXIT.usage, EXIT.unavailable, EXIT.notFound]).toEqual([0, 1, 2, 3, 4]);
  });
});
