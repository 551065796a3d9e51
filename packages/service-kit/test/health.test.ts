import { describe, expect, it } from 'vitest';
import { runChecks } from '../src/health.js';

describe('readiness checks', () => {
  it('report a check that has not answered within the deadline as not ready, and the others as they answered', async () => {
    const never = new Promise<boolean>(() => undefined);
    const report = await runChecks(
      [
        { name: 'postgres', check: () => never },
        { name: 'nats', check: () => true },
        { name: 'policy', check: async () => false },
      ],
      50,
    );
    expect(report).toEqual({ ready: false, checks: { postgres: false, nats: true, policy: false } });
  });

  it('report a check that throws as not ready', async () => {
    const report = await runChecks([
      {
        name: 'postgres',
        check: () => {
          throw new Error('refused');
        },
      },
    ]);
    expect(report).toEqual({ ready: false, checks: { postgres: false } });
  });
});
