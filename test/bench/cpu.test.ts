import { describe, expect, it } from 'vitest';
import { coresUsed, cpuCells, cpuPerAnswer } from '../../scripts/bench/cpu.js';

describe('CPU per answer', () => {
  it('divides each group’s CPU over the step by the answers, leaving out groups that used none', () => {
    expect(cpuPerAnswer({ 'api-gateway': 1000, postgres: 500 }, { 'api-gateway': 2050, postgres: 1370, audit: 0 }, 1000)).toEqual({
      'api-gateway': 1.05,
      postgres: 0.87,
    });
  });

  it('prints the named groups, the others summed, and the total', () => {
    expect(cpuCells({ 'api-gateway': 1.05, postgres: 0.87, 'kube-dev': 0.01, audit: 0.02 }, ['api-gateway', 'postgres', 'bench'])).toEqual([
      '1.05',
      '0.87',
      '0.00',
      '0.03',
      '1.95',
    ]);
  });

  it('turns CPU over a step into cores kept busy, busiest first, leaving out idle groups', () => {
    const cores = coresUsed(
      { 'api-gateway': 1000, postgres: 500, audit: 10 },
      { 'api-gateway': 4000, postgres: 8000, audit: 10, bench: 500 },
      5,
    );
    expect(cores).toEqual({ postgres: 1.5, 'api-gateway': 0.6, bench: 0.1 });
    expect(Object.keys(cores)).toEqual(['postgres', 'api-gateway', 'bench']);
  });
});
