import { describe, expect, it } from 'vitest';
import { DEFAULT_READY_TIMEOUT_MS, DEFAULT_SIM_STEP_MS, readyTimeoutMs, simStepMs } from '../src/settings.js';

describe('stack settings', () => {
  it('JANGAR_SIM_STEP_MS paces the simulator when the option is unset, and the option wins over it', () => {
    expect(simStepMs({}, { JANGAR_SIM_STEP_MS: '40' })).toBe(40);
    expect(simStepMs({ simStepMs: 50 }, { JANGAR_SIM_STEP_MS: '40' })).toBe(50);
    expect(simStepMs({}, {})).toBe(DEFAULT_SIM_STEP_MS);
  });

  it('JANGAR_READY_TIMEOUT_MS sets the readiness deadline when the option is unset, and the option wins over it', () => {
    expect(readyTimeoutMs({}, { JANGAR_READY_TIMEOUT_MS: '150000' })).toBe(150_000);
    expect(readyTimeoutMs({ readyTimeoutMs: 5_000 }, { JANGAR_READY_TIMEOUT_MS: '150000' })).toBe(5_000);
  });

  it('defaults the readiness deadline to the 90 s the README documents', () => {
    expect(DEFAULT_READY_TIMEOUT_MS).toBe(90_000);
    expect(readyTimeoutMs({}, {})).toBe(90_000);
  });

  it('ignores a variable that is empty or not a positive integer', () => {
    for (const bad of ['', 'soon', '-5', '0', '1.5']) {
      expect(simStepMs({}, { JANGAR_SIM_STEP_MS: bad })).toBe(DEFAULT_SIM_STEP_MS);
      expect(readyTimeoutMs({}, { JANGAR_READY_TIMEOUT_MS: bad })).toBe(DEFAULT_READY_TIMEOUT_MS);
    }
  });
});
