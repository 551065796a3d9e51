import { describe, expect, it } from 'vitest';
import { colorPhase, colors, phaseColor, stripAnsi } from '../src/output/color.js';
import { resourceTable, runTable, jsonPathValue, labelText } from '../src/output/columns.js';
import { fitWidths, renderTable, truncate } from '../src/output/table.js';
import { AgentRun, Agent, Schedule, type NormalizedRun, type ResourceView } from '@jangar/contracts';

describe('tables', () => {
  const header = ['NAME', 'AGENT', 'PHASE', 'AGE'];
  const rows = [
    ['fix-the-flaky-test-in-ci-yml', 'coder', 'Succeeded', '5s'],
    ['r2', 'reviewer', 'Running', '3m'],
  ];

  it('aligns columns three spaces apart, upper-case header first, no trailing spaces', () => {
    const { lines } = renderTable(header, rows);
    expect(lines).toEqual([
      'NAME                           AGENT      PHASE       AGE',
      'fix-the-flaky-test-in-ci-yml   coder      Succeeded   5s',
      'r2                             reviewer   Running     3m',
    ]);
  });

  it('fits the terminal by cutting the widest column with an ellipsis', () => {
    const { lines, widths } = renderTable(header, rows, { maxWidth: 40 });
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
    expect(widths).toEqual([11, 8, 9, 3]);
    expect(lines[1]).toBe('fix-the-fl…   coder      Succeeded   5s');
    // The other columns keep their full width.
    expect(lines[2]).toContain('reviewer   Running     3m');
  });

  it('never cuts a column below its header, and overflows rather than lose everything', () => {
    expect(fitWidths([30, 10], [4, 5], 10)).toEqual([4, 5]);
    expect(fitWidths([30, 10], [4, 5], undefined)).toEqual([30, 10]);
    expect(fitWidths([12, 12, 3], [4, 4, 3], 27)).toEqual([9, 9, 3]);
  });

  it('shrinks the widest column first, one character at a time', () => {
    expect(fitWidths([20, 10, 3], [4, 4, 3], 33)).toEqual([14, 10, 3]);
    expect(fitWidths([20, 20], [4, 4], 23)).toEqual([10, 10]);
  });

  it('truncates with … and leaves short text alone', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(truncate('abc', 0)).toBe('');
  });

  it('colours phases only when asked, without changing the width', () => {
    const on = colors(true);
    expect(colorPhase(on, 'Succeeded')).toBe('\u001b[32mSucceeded\u001b[39m');
    expect(colorPhase(on, 'Failed')).toBe('\u001b[31mFailed\u001b[39m');
    expect(colorPhase(on, 'Running')).toBe('\u001b[36mRunning\u001b[39m');
    expect(colorPhase(on, 'Pending')).toBe('\u001b[33mPending\u001b[39m');
    expect(colorPhase(colors(false), 'Failed')).toBe('Failed');
    const { lines } = renderTable(header, rows, { style: (t, c) => (c === 2 ? colorPhase(on, t) : t) });
    expect(lines.map(stripAnsi)).toEqual(renderTable(header, rows).lines);
    // A phase cut to fit keeps the colour of the whole phase.
    const cut = renderTable(['PHASE'], [['Succeeded']], { maxWidth: 6, style: (t, _c, value) => phaseColor(on, value)(t) });
    expect(cut.lines[1]).toBe('\u001b[32mSucce…\u001b[39m');
  });
});

/** A fixed clock, so ages are exact. */
const NOW = Date.parse('2025-06-01T12:00:00Z');

const view = (kind: string, name: string, spec: unknown, status: unknown, labels: Record<string, string> = {}): ResourceView => ({
  id: '11111111-2222-3333-4444-555555555555',
  kind,
  apiVersion: 'agents.proompteng.ai/v1alpha1',
  metadata: {
    name,
    namespace: 'team-a',
    uid: 'u1',
    resourceVersion: '7',
    creationTimestamp: new Date(NOW - 65_000).toISOString(),
    labels: { ...labels, 'jangar.proompteng.ai/id': 'x' },
  },
  spec,
  status,
});

describe('kind tables', () => {
  it('prints NAME, the kind’s printer columns, PHASE when it has phases, and AGE', () => {
    const t = resourceTable(
      AgentRun,
      [view('AgentRun', 'r1', { agentRef: { name: 'coder' }, runtime: { type: 'job' } }, { phase: 'Running' })],
      {
        showNamespace: false,
        wide: false,
        now: NOW,
      },
    );
    expect(t.header).toEqual(['NAME', 'AGENT', 'RUNTIME', 'PHASE', 'AGE']);
    expect(t.rows[0]!.cells).toEqual(['r1', 'coder', 'job', 'Running', '65s']);
    expect(t.phaseColumn).toBe(3);
    expect(t.ageColumn).toBe(4);
  });

  it('adds NAMESPACE first with -A, and ID and LABELS with -o wide; no PHASE for kinds without one', () => {
    const t = resourceTable(Agent, [view('Agent', 'coder', {}, {}, { team: 'a' })], { showNamespace: true, wide: true, now: NOW });
    expect(t.header).toEqual(['NAMESPACE', 'NAME', 'AGE', 'ID', 'LABELS']);
    expect(t.rows[0]!.cells.slice(0, 2)).toEqual(['team-a', 'coder']);
    expect(t.rows[0]!.cells[4]).toBe('team=a');
    expect(t.phaseColumn).toBeUndefined();
  });

  it('reads printer columns of every type', () => {
    const t = resourceTable(Schedule, [view('Schedule', 's', { cron: '*/5 * * * *', suspend: false }, { phase: 'Active' })], {
      showNamespace: false,
      wide: false,
      now: NOW,
    });
    expect(t.rows[0]!.cells.slice(0, 4)).toEqual(['s', '*/5 * * * *', 'false', 'Active']);
    expect(jsonPathValue({ a: { b: [{ c: 1 }] } }, '.a.b[0].c')).toBe('1');
    expect(jsonPathValue({ a: { b: { c: 1 } } }, '.a.b')).toBe('{"c":1}');
    expect(jsonPathValue({}, '.spec.missing.deep')).toBe('');
    expect(labelText({ 'app.kubernetes.io/managed-by': 'jangar', b: '2', a: '1' })).toBe('b=2,a=1');
  });

  it('prints normalized runs with their id, type, provider and phase', () => {
    const run = {
      id: 'id-1',
      type: 'AgentRun',
      namespace: 'team-a',
      name: 'r1',
      phase: 'Succeeded',
      provider: { type: 'job' },
      createdAt: new Date(NOW - 65_000).toISOString(),
      labels: {},
      steps: { done: 1, total: 2 },
    } as unknown as NormalizedRun;
    const t = runTable([run], { showNamespace: true, wide: true, now: NOW });
    expect(t.header).toEqual(['NAMESPACE', 'NAME', 'ID', 'TYPE', 'PROVIDER', 'PHASE', 'AGE', 'STEPS', 'PARENT', 'LABELS']);
    expect(t.rows[0]!.cells.slice(0, 7)).toEqual(['team-a', 'r1', 'id-1', 'AgentRun', 'job', 'Succeeded', '65s']);
    expect(t.rows[0]!.cells[7]).toBe('1/2');
    expect(t.header[t.phaseColumn!]).toBe('PHASE');
    expect(t.header[t.ageColumn]).toBe('AGE');
  });
});
