import { afterEach, describe, expect, it, vi } from 'vitest';

// The faults are read once, when the module loads: each case loads it afresh under its own setting.
async function loadWith(faults: string) {
  vi.resetModules();
  vi.stubEnv('JANGAR_FAULTS', faults);
  return import('../src/faults.js');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('fault points', () => {
  it('throw a TypeError, as a bug would, where armed with =throw, and do nothing elsewhere', async () => {
    const { faultPoint } = await loadWith('provisioner.before-apply=throw');
    expect(() => faultPoint('provisioner.before-apply')).toThrow(TypeError);
    expect(() => faultPoint('provisioner.after-create')).not.toThrow();
  });

  it('refuse a setting whose action is misspelt, rather than arm a kill', async () => {
    await expect(loadWith('provisioner.before-apply=thorw')).rejects.toThrow(/JANGAR_FAULTS: "provisioner.before-apply=thorw"/);
  });
});
