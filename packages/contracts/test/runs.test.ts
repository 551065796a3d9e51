import { describe, expect, it } from 'vitest';
import { bindingOf, NormalizedRun, normalizeRun, providerStateOf } from '../src/index.js';
import type { KubeObject } from '../src/index.js';
import { agentRunObject, JOB_BINDING } from '../../../test/support/fixtures.js';

const agentRun = (status: unknown, binding?: unknown) => agentRunObject(status, { binding });

function normalized(obj: KubeObject) {
  const run = normalizeRun(obj);
  // Every shape stays valid for readers that parse the schema.
  expect(NormalizedRun.parse(run)).toEqual(run);
  return run;
}

describe('normalizeRun per scenario', () => {
  it('success: provider type and resource from the binding, phase from status.provider', () => {
    const run = normalized(agentRun({ phase: 'Succeeded', provider: { phase: 'Succeeded' }, finishedAt: '2026-11-25T10:00:03Z' }));
    expect(run.provider).toEqual({ type: 'job', resource: JOB_BINDING.resource, phase: 'Succeeded' });
    expect(run.retry).toBeUndefined();
    expect(run.error).toBeUndefined();
  });

  it('failure: error from the Failed condition, provider message carried', () => {
    const run = normalized(
      agentRun({
        phase: 'Failed',
        reason: 'Error',
        message: 'boom',
        conditions: [{ type: 'Failed', status: 'True', reason: 'Error', message: 'boom' }],
        provider: { phase: 'Failed', message: 'BackoffLimitExceeded' },
      }),
    );
    expect(run.provider).toMatchObject({ phase: 'Failed', message: 'BackoffLimitExceeded' });
    expect(run.error).toEqual({ code: 'run_failed', reason: 'Error', message: 'boom' });
  });

  it('replaces a NUL a controller wrote in a condition or provider message, which Postgres cannot store', () => {
    const run = normalized(
      agentRun({
        phase: 'Failed',
        conditions: [{ type: 'Failed', status: 'True', reason: 'Error', message: 'exit\u0000code 1' }],
        provider: { phase: 'Failed', message: 'stderr: \u0000\u0000' },
      }),
    );
    expect(JSON.stringify(run)).not.toContain('\\u0000');
    expect(run.conditions[0]?.message).toBe('exit\uFFFDcode 1');
    expect(run.provider?.message).toBe('stderr: \uFFFD\uFFFD');
    expect(run.error?.message).toBe('exit\uFFFDcode 1');
  });

  it('failure without a condition still reports an error, from the provider message', () => {
    const run = normalized(agentRun({ phase: 'Failed', provider: { phase: 'Failed', message: 'pod OOMKilled' } }));
    expect(run.error).toEqual({ code: 'run_failed', message: 'pod OOMKilled' });
  });

  it('retry: attempt, maxAttempts, lastError and nextRetryAt from status.retry', () => {
    const retry = { attempt: 2, maxAttempts: 2, lastError: 'attempt 1 failed', nextRetryAt: '2026-11-25T10:00:02Z' };
    const run = normalized(agentRun({ phase: 'Running', retry, provider: { phase: 'Running' } }));
    expect(run.retry).toEqual(retry);
    expect(run.error).toBeUndefined();
  });

  it('stuck: Running with the provider Running and nothing else', () => {
    const run = normalized(agentRun({ phase: 'Running', provider: { phase: 'Running' } }));
    expect(run).toMatchObject({ phase: 'Running', provider: { type: 'job', phase: 'Running' } });
  });

  it('steps: done, total and the running step of an OrchestrationRun', () => {
    const obj = { ...agentRun(undefined, null), kind: 'OrchestrationRun', spec: { orchestrationRef: { name: 'o' } } };
    const run = normalized({
      ...obj,
      status: {
        phase: 'Running',
        stepStatuses: [
          { name: 'a', phase: 'Succeeded' },
          { name: 'b', phase: 'Running' },
          { name: 'c', phase: 'Pending' },
        ],
      },
    });
    expect(run.provider).toEqual({ type: 'orchestration' });
    expect(run.steps).toEqual({ done: 1, total: 3, current: 'b' });
    const failed = normalized({ ...obj, status: { phase: 'Failed', stepStatuses: [{ name: 'a', phase: 'Failed' }] } });
    expect(failed.error).toEqual({ code: 'run_failed', reason: 'StepFailed', message: 'step "a" failed' });
  });

  it('correlation: correlationId from the annotation, parent from the orchestration-run label', () => {
    const plain = normalized(agentRun({ phase: 'Running' }));
    expect(plain.correlationId).toBeUndefined();
    expect(plain.parent).toBeUndefined();
    const obj = agentRun({ phase: 'Running' });
    const child = normalized({
      ...obj,
      metadata: {
        ...obj.metadata,
        labels: { ...obj.metadata.labels, 'jangar.proompteng.ai/orchestration-run': 'release-1', 'jangar.proompteng.ai/step': 'build' },
        annotations: { ...obj.metadata.annotations, 'jangar.proompteng.ai/correlation-id': 'release-42' },
      },
    });
    expect(child).toMatchObject({ id: 'id-1', correlationId: 'release-42', parent: { type: 'OrchestrationRun', name: 'release-1' } });
  });

  it('falls back to runtime.type and ignores malformed provider or retry records', () => {
    const run = normalized(agentRun({ phase: 'Running', provider: { phase: 3 }, retry: { attempt: 'x' } }, null));
    expect(run.provider).toEqual({ type: 'job' });
    expect(run.retry).toBeUndefined();
    expect(
      bindingOf({ metadata: { ...agentRun(undefined).metadata, annotations: { 'jangar.proompteng.ai/binding': '{' } } }),
    ).toBeUndefined();
  });
});

describe('providerStateOf', () => {
  it('reads a Job from active, conditions Complete and Failed', () => {
    expect(providerStateOf({ kind: 'Job', status: {} })).toEqual({ phase: 'Pending' });
    expect(providerStateOf({ kind: 'Job', status: { active: 1, failed: 1 } })).toEqual({ phase: 'Running' });
    expect(providerStateOf({ kind: 'Job', status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } })).toEqual({
      phase: 'Succeeded',
    });
    expect(providerStateOf({ kind: 'Job', status: { conditions: [{ type: 'Failed', status: 'True', message: 'limit' }] } })).toEqual({
      phase: 'Failed',
      message: 'limit',
    });
  });

  it('reads a Workflow from status.phase and message, Error counting as Failed', () => {
    expect(providerStateOf({ kind: 'Workflow' })).toEqual({ phase: 'Pending' });
    expect(providerStateOf({ kind: 'Workflow', status: { phase: 'Error', message: 'x' } })).toEqual({ phase: 'Failed', message: 'x' });
    expect(providerStateOf({ kind: 'Pod', status: {} })).toBeUndefined();
  });
});
