import { describe, expect, it } from 'vitest';
import { nextRunStatus, scenarioOf, SCENARIO_ANNOTATION, setCondition } from '../src/index.js';
import type { RunStatus, SimScenario } from '../src/index.js';

const t0 = new Date('2025-01-02T03:04:05.678Z');
const t1 = new Date('2025-01-02T03:04:06Z');
const t2 = new Date('2025-01-02T03:04:07Z');

function walk(scenario: SimScenario): (RunStatus | undefined)[] {
  const pending = nextRunStatus({ status: undefined, scenario, generation: 1, now: t0 });
  const running = nextRunStatus({ status: pending, scenario, generation: 1, now: t1 });
  const last = nextRunStatus({ status: running, scenario, generation: 1, now: t2 });
  return [pending, running, last];
}

describe('nextRunStatus', () => {
  it('accepts a new run as Pending', () => {
    const [pending] = walk('success');
    expect(pending).toEqual({
      phase: 'Pending',
      observedGeneration: 1,
      updatedAt: '2025-01-02T03:04:05Z',
      conditions: [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Submitted',
          message: 'Accepted by the kube-dev simulator',
          lastTransitionTime: '2025-01-02T03:04:05Z',
          observedGeneration: 1,
        },
      ],
    });
  });

  it('walks success through Running to Succeeded', () => {
    const [, running, done] = walk('success');
    expect(running).toMatchObject({ phase: 'Running', startedAt: '2025-01-02T03:04:06Z' });
    expect(running?.conditions?.find((c) => c.type === 'InProgress')).toMatchObject({ status: 'True', reason: 'Running' });
    expect(done).toMatchObject({ phase: 'Succeeded', startedAt: '2025-01-02T03:04:06Z', finishedAt: '2025-01-02T03:04:07Z' });
    const byType = Object.fromEntries((done?.conditions ?? []).map((c) => [c.type, c]));
    expect(byType.Accepted).toMatchObject({ status: 'True', lastTransitionTime: '2025-01-02T03:04:05Z' });
    expect(byType.InProgress).toMatchObject({ status: 'False', lastTransitionTime: '2025-01-02T03:04:07Z' });
    expect(byType.Succeeded).toMatchObject({ status: 'True', reason: 'Completed' });
    expect(nextRunStatus({ status: done, scenario: 'success', generation: 1, now: t2 })).toBeUndefined();
  });

  it('ends the failure scenario as Failed with a reason and message', () => {
    const [, , failed] = walk('failure');
    expect(failed).toMatchObject({ phase: 'Failed', reason: 'Error', finishedAt: '2025-01-02T03:04:07Z' });
    expect(failed?.message).toMatch(/failure/);
    expect(failed?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'Error' });
    expect(failed?.conditions?.find((c) => c.type === 'Succeeded')).toBeUndefined();
  });

  it('keeps the stuck scenario Running', () => {
    const [, running, last] = walk('stuck');
    expect(running?.phase).toBe('Running');
    expect(last).toBeUndefined();
  });

  it('leaves terminal phases alone and carries over fields it does not own', () => {
    expect(nextRunStatus({ status: { phase: 'Cancelled' }, scenario: 'success', generation: 3, now: t0 })).toBeUndefined();
    const next = nextRunStatus({
      status: { phase: 'Pending', runtimeRef: { name: 'job-1' } },
      scenario: 'success',
      generation: 3,
      now: t0,
    });
    expect(next).toMatchObject({ phase: 'Running', runtimeRef: { name: 'job-1' }, observedGeneration: 3 });
  });
});

describe('scenarioOf and setCondition', () => {
  it('reads the scenario annotation, defaulting to success', () => {
    expect(scenarioOf(undefined)).toBe('success');
    expect(scenarioOf({ [SCENARIO_ANNOTATION]: 'failure' })).toBe('failure');
    expect(scenarioOf({ [SCENARIO_ANNOTATION]: 'stuck' })).toBe('stuck');
    expect(scenarioOf({ [SCENARIO_ANNOTATION]: 'nonsense' })).toBe('success');
  });

  it('keeps lastTransitionTime while the condition status holds', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'True', reason: 'A', lastTransitionTime: 'T1' });
    const same = setCondition(first, { type: 'Ready', status: 'True', reason: 'B', lastTransitionTime: 'T2' });
    expect(same).toEqual([{ type: 'Ready', status: 'True', reason: 'B', lastTransitionTime: 'T1' }]);
    const flipped = setCondition(same, { type: 'Ready', status: 'False', reason: 'C', lastTransitionTime: 'T3' });
    expect(flipped).toEqual([{ type: 'Ready', status: 'False', reason: 'C', lastTransitionTime: 'T3' }]);
  });
});
