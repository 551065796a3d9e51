import { describe, expect, it } from 'vitest';
import { nextRunStatus, providerStatusFor, scenarioOf, SCENARIO_ANNOTATION, setCondition } from '../src/index.js';
import type { RetryStatus, RunSnapshot, RunStatus, SimScenario, StepStatus } from '../src/index.js';

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

/** Every status a run passes through until the step function stops moving it. */
function walkAll(snapshot: Omit<RunSnapshot, 'status' | 'now'>): RunStatus[] {
  const seen: RunStatus[] = [];
  let status: RunStatus | undefined;
  for (let i = 0; i < 20; i++) {
    status = nextRunStatus({ ...snapshot, status, now: new Date(t0.getTime() + i * 1000) });
    if (!status) break;
    seen.push(status);
  }
  return seen;
}

describe('retry and step scenarios', () => {
  it('fails the first attempt of the retry scenario, records it, then succeeds', () => {
    const seen = walkAll({ scenario: 'retry', generation: 1 });
    expect(seen.map((s) => s.phase)).toEqual(['Pending', 'Running', 'Running', 'Succeeded']);
    expect(seen[1]?.retry).toEqual({ attempt: 1, maxAttempts: 2 });
    expect(seen[2]?.retry).toMatchObject({ attempt: 2, maxAttempts: 2, lastError: expect.stringMatching(/attempt 1/) });
    expect((seen[2]?.retry as RetryStatus).nextRetryAt).toBe('2025-01-02T03:04:07Z');
    expect(seen[2]?.conditions?.find((c) => c.type === 'InProgress')).toMatchObject({ status: 'True', reason: 'Retrying' });
    expect(seen[3]?.retry).toMatchObject({ attempt: 2 });
  });

  it('fails the retry scenario for good when only one attempt is allowed', () => {
    const seen = walkAll({ scenario: 'retry', generation: 1, maxAttempts: 1 });
    expect(seen.map((s) => s.phase)).toEqual(['Pending', 'Running', 'Failed']);
    expect(seen[2]).toMatchObject({ reason: 'Error', retry: { attempt: 1, maxAttempts: 1, lastError: expect.any(String) } });
  });

  it('walks the steps of a run one at a time', () => {
    const seen = walkAll({ scenario: 'success', generation: 1, steps: ['a', 'b', 'c'] });
    const phases = seen.map((s) => `${s.phase}:${(s.stepStatuses as StepStatus[]).map((x) => x.phase[0]).join('')}`);
    expect(phases).toEqual(['Pending:PPP', 'Running:RPP', 'Running:SRP', 'Running:SSR', 'Succeeded:SSS']);
  });

  it('fails the running step in the failure scenario and keeps a stuck run on its first step', () => {
    const failed = walkAll({ scenario: 'failure', generation: 1, steps: ['a', 'b'] }).at(-1);
    expect(failed).toMatchObject({
      phase: 'Failed',
      stepStatuses: [
        { name: 'a', phase: 'Failed' },
        { name: 'b', phase: 'Pending' },
      ],
    });
    const stuck = walkAll({ scenario: 'stuck', generation: 1, steps: ['a', 'b'] }).at(-1);
    expect(stuck).toMatchObject({
      phase: 'Running',
      stepStatuses: [
        { name: 'a', phase: 'Running' },
        { name: 'b', phase: 'Pending' },
      ],
    });
  });

  it('reads the retry scenario from the annotation', () => {
    expect(scenarioOf({ [SCENARIO_ANNOTATION]: 'retry' })).toBe('retry');
  });
});

describe('providerStatusFor', () => {
  it('moves a Job through active, failed and succeeded with its conditions', () => {
    const seen = walkAll({ scenario: 'retry', generation: 1 }).map((s) => providerStatusFor('Job', s));
    expect(seen[0]).toEqual({});
    expect(seen[1]).toMatchObject({ active: 1 });
    expect(seen[2]).toMatchObject({ active: 1, failed: 1 });
    expect(seen[3]).toMatchObject({ succeeded: 1, failed: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    const failed = providerStatusFor('Job', walkAll({ scenario: 'failure', generation: 1 }).at(-1)!);
    expect(failed).toMatchObject({ failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] });
  });

  it('moves a Workflow through its phases with a message on failure', () => {
    const seen = walkAll({ scenario: 'failure', generation: 1 }).map((s) => providerStatusFor('Workflow', s));
    expect(seen.map((s) => s?.phase)).toEqual(['Pending', 'Running', 'Failed']);
    expect(seen[2]?.message).toMatch(/failure/);
    expect(providerStatusFor('Pod', { phase: 'Running' })).toBeUndefined();
  });
});
