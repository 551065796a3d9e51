import { describe, expect, it } from 'vitest';
import { figureText, goalText, judge, meets, renderSummary, type Measure } from '../../scripts/bench/summary.js';

const accept: Measure = {
  measure: 'POST /v1/agent-runs accepted @8',
  phase: 'ceiling',
  figure: 300,
  unit: 'req/s',
  baseline: { value: 600, what: 'postgres insert' },
  goal: { on: 'ratio', op: '>=', value: 0.6 },
};

describe('summary table', () => {
  it('judges ≥, ≤ and < goals, with the bound itself meeting ≥ and ≤ but not <', () => {
    expect(meets(0.6, { on: 'ratio', op: '>=', value: 0.6 })).toBe(true);
    expect(meets(0.59, { on: 'ratio', op: '>=', value: 0.6 })).toBe(false);
    expect(meets(0.3, { on: 'ratio', op: '<=', value: 0.3 })).toBe(true);
    expect(meets(0.31, { on: 'ratio', op: '<=', value: 0.3 })).toBe(false);
    expect(meets(49.9, { on: 'figure', op: '<', value: 50 })).toBe(true);
    expect(meets(50, { on: 'figure', op: '<', value: 50 })).toBe(false);
  });

  it('never counts a figure that was not measured as meeting its goal', () => {
    expect(meets(Number.NaN, { on: 'figure', op: '<', value: 50 })).toBe(false);
    expect(meets(undefined, { on: 'ratio', op: '<=', value: 1.5 })).toBe(false);
  });

  it('computes the ratio as figure ÷ baseline and judges the goal on it', () => {
    expect(judge(accept)).toMatchObject({ ratio: 0.5, met: false });
    expect(judge({ ...accept, figure: 420 })).toMatchObject({ ratio: 0.7, met: true });
  });

  it('judges a goal on the figure itself, whatever the ratio', () => {
    const rss: Measure = {
      measure: 'status-aggregator RSS, 10k live runs',
      phase: 'memory',
      figure: 250,
      unit: 'MB',
      baseline: { value: 100, what: 'idle' },
      goal: { on: 'figure', op: '<', value: 300 },
    };
    expect(judge(rss)).toMatchObject({ ratio: 2.5, met: true });
    expect(judge({ ...rss, figure: 320 })).toMatchObject({ met: false });
  });

  it('leaves ratio and verdict out where there is no baseline or no goal', () => {
    const row = judge({ measure: 'api-gateway RSS idle', phase: 'memory', figure: 120, unit: 'MB' });
    expect(row.ratio).toBeUndefined();
    expect(row.met).toBeUndefined();
    expect(judge({ ...accept, baseline: { value: 0, what: 'nothing answered' } }).ratio).toBeUndefined();
  });

  it('prints measure, figure, baseline, ratio, goal and verdict per row', () => {
    const table = renderSummary([judge(accept), judge({ measure: 'idle', phase: 'memory', figure: 9.5, unit: 'MB' })]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^measure\s+figure\s+baseline\s+ratio\s+goal\s+met\?$/);
    expect(lines[2]).toMatch(
      /^POST \/v1\/agent-runs accepted @8\s+300 req\/s\s+600 req\/s \(postgres insert\)\s+0\.50\s+ratio ≥ 0\.6\s+NO$/,
    );
    expect(lines[3]).toMatch(/^idle\s+9\.50 MB\s+-\s+-\s+-\s+-$/);
  });

  it('prints figures to about three significant digits and a missing one as a dash', () => {
    expect(figureText(1234.5, 'req/s')).toBe('1235 req/s');
    expect(figureText(42.123, 'ms')).toBe('42.1 ms');
    expect(figureText(3.14159, 'ms')).toBe('3.14 ms');
    expect(figureText(Number.NaN, 'ms')).toBe('-');
    expect(goalText({ on: 'figure', op: '<', value: 50 }, 'ms')).toBe('< 50 ms');
    expect(goalText(undefined, 'ms')).toBe('-');
  });
});
