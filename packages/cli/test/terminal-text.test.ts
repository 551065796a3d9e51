import { describe, expect, it } from 'vitest';
import { AgentRun, type NormalizedRun } from '@jangar/contracts';
import { resultLine } from '../src/commands/apply.js';
import { describeRunLines, field } from '../src/commands/describe.js';
import { transitionLine } from '../src/commands/runs.js';
import type { Context } from '../src/context.js';
import { colors } from '../src/output/color.js';
import { safeLines, safeText } from '../src/output/text.js';
import { formatProblem, problemOf } from '../src/problem.js';

/** Sets the clipboard (OSC 52, ended by BEL), then erases the line; and a C1 CSI. */
const HOSTILE = 'ok\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2K\u009b31mgone';
/** ESC, BEL and every other C0 control but the line feed, DEL, and the C1 controls. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const ctx = { io: { color: colors(true), columns: undefined } } as unknown as Context;

const run = {
  id: 'id-1',
  type: 'AgentRun',
  namespace: 'team-a',
  name: 'r1',
  uid: 'u',
  resourceVersion: '7',
  labels: { team: HOSTILE },
  phase: 'Failed',
  conditions: [],
  provider: { type: 'job', phase: 'Failed', message: HOSTILE },
  retry: { attempt: 2, maxAttempts: 3, lastError: `line one\n${HOSTILE}` },
  error: { code: 'ProviderFailed', reason: HOSTILE, message: HOSTILE },
  steps: { done: 1, total: 2, current: HOSTILE },
  createdAt: '2026-11-25T10:00:00Z',
  updatedAt: '2026-11-25T10:00:05Z',
} as NormalizedRun;

describe('text from the server on the terminal', () => {
  it('loses every control character on one line, and keeps line breaks only where a field spans lines', () => {
    expect(safeText(HOSTILE)).toBe('ok ]52;c;cm0gLXJmIH4= [2K 31mgone');
    expect(safeText('a\nb\tc')).toBe('a b c');
    expect(safeLines('a\r\nb\u001b[2Kc\rd')).toBe('a\nb [2Kc\nd');
  });

  it('prints no ESC, BEL or C1 control in a transition line of runs watch', () => {
    const line = transitionLine(colors(false), run);
    expect(line).not.toMatch(CONTROL);
    expect(line).toContain('job Failed: ok ]52;c;cm0gLXJmIH4= [2K 31mgone');
  });

  it('prints no ESC, BEL or C1 control from the run in describe, multi-line fields kept aligned', () => {
    const lines = describeRunLines(ctx, run, undefined);
    // The CLI's own colours are the only escapes: SGR sequences it wrote around the phase and the error.
    const own = /\u001b\[\d+m/g;
    for (const line of lines) expect(line.replace(own, '')).not.toMatch(CONTROL);
    expect(lines).toContain(`${'Retry:'.padEnd(16)}attempt 2 of 3; last error: line one`);
    expect(lines).toContain(`${' '.repeat(16)}ok ]52;c;cm0gLXJmIH4= [2K 31mgone`);
    expect(field('Message', HOSTILE)).toEqual([`${'Message:'.padEnd(16)}ok ]52;c;cm0gLXJmIH4= [2K 31mgone`]);
  });

  it('prints no ESC, BEL or C1 control from a problem detail, field error or violation', () => {
    const problem = problemOf(
      422,
      'Unprocessable Entity',
      JSON.stringify({
        title: 't',
        status: 422,
        detail: HOSTILE,
        code: 'invalid',
        errors: [{ path: 'spec.x', message: HOSTILE }],
        violations: [{ ruleId: 'r', path: 'spec.y', reason: HOSTILE }],
      }),
    );
    const lines = formatProblem(problem);
    for (const line of lines) expect(line).not.toMatch(CONTROL);
    expect(lines[0]).toBe('error: ok ]52;c;cm0gLXJmIH4= [2K 31mgone (invalid)');
  });

  it('prints no ESC, BEL or C1 control from the queue message apply reports', () => {
    const queued = {
      id: 'r-1',
      status: 'Queued',
      queue: { reason: 'ConcurrencyLimit', message: HOSTILE },
    } as unknown as Parameters<typeof resultLine>[2];
    const m = { source: 'run.yaml', kind: AgentRun, namespace: 'team-a', name: 'r1', labels: {}, annotations: undefined, spec: {} };
    expect(resultLine(m, 'queued', queued)).not.toMatch(CONTROL);
  });
});
