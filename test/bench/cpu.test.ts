import { describe, expect, it } from 'vitest';
import { cpuCells, cpuPerAnswer } from '../../scripts/bench/cpu.js';

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
});
