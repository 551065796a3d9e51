import { describe, expect, it } from 'vitest';
import { describeOutcome, describeUrl, temporalProviderState, TemporalWorkflowStatus } from '../src/sources/temporal.js';

/** A DescribeWorkflowExecutionResponse as Temporal's HTTP API sends it, trimmed to a few of its fields. */
const described = (status?: string) => ({
  executionConfig: { taskQueue: { name: 'agents', kind: 'TASK_QUEUE_KIND_NORMAL' }, workflowRunTimeout: '0s' },
  workflowExecutionInfo: {
    execution: { workflowId: 'team-a.run-1', runId: '0193a0e4-5c1b-7d2e-9f3a-1b2c3d4e5f60' },
    type: { name: 'AgentRun' },
    startTime: '2026-11-25T10:00:00.123456789Z',
    ...(status ? { status } : {}),
    historyLength: '11',
    taskQueue: 'agents',
    stateTransitionCount: '7',
  },
  pendingActivities: [],
});

describe('Temporal workflow status as a run provider state', () => {
  it('maps running, completed, failed, timed out, terminated and canceled to run phases, with the Temporal status as message', () => {
    const phases = Object.fromEntries(TemporalWorkflowStatus.options.map((s) => [s, temporalProviderState(s).phase]));
    expect(phases).toEqual({
      WORKFLOW_EXECUTION_STATUS_UNSPECIFIED: 'Pending',
      WORKFLOW_EXECUTION_STATUS_RUNNING: 'Running',
      WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: 'Running',
      WORKFLOW_EXECUTION_STATUS_PAUSED: 'Running',
      WORKFLOW_EXECUTION_STATUS_COMPLETED: 'Succeeded',
      WORKFLOW_EXECUTION_STATUS_FAILED: 'Failed',
      WORKFLOW_EXECUTION_STATUS_TIMED_OUT: 'Failed',
      WORKFLOW_EXECUTION_STATUS_TERMINATED: 'Failed',
      WORKFLOW_EXECUTION_STATUS_CANCELED: 'Cancelled',
    });
    expect(temporalProviderState('WORKFLOW_EXECUTION_STATUS_TIMED_OUT')).toEqual({
      phase: 'Failed',
      message: 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT',
    });
  });
});

describe('reading a DescribeWorkflowExecution answer', () => {
  it('reads the status of a 200 and ignores the fields it does not model', () => {
    expect(describeOutcome(200, described('WORKFLOW_EXECUTION_STATUS_COMPLETED'))).toEqual({
      kind: 'state',
      state: { phase: 'Succeeded', message: 'WORKFLOW_EXECUTION_STATUS_COMPLETED' },
    });
  });

  it('takes a status left out (proto3 JSON omits an enum at its default) as UNSPECIFIED: Pending', () => {
    expect(describeOutcome(200, described())).toEqual({
      kind: 'state',
      state: { phase: 'Pending', message: 'WORKFLOW_EXECUTION_STATUS_UNSPECIFIED' },
    });
  });

  it('answers not found for 404 with gRPC code 5, and fails an unknown status, a body without execution info and any other error', () => {
    expect(describeOutcome(404, { code: 5, message: 'workflow not found for ID: x', details: [] })).toEqual({
      kind: 'not-found',
      message: 'workflow not found for ID: x',
    });
    expect(describeOutcome(200, described('WORKFLOW_EXECUTION_STATUS_SLEEPING')).kind).toBe('failed');
    expect(describeOutcome(200, {}).kind).toBe('failed');
    expect(describeOutcome(200, undefined).kind).toBe('failed');
    expect(describeOutcome(503, { code: 14, message: 'unavailable' })).toEqual({ kind: 'failed', error: 'HTTP 503: unavailable' });
    expect(describeOutcome(502, undefined)).toEqual({ kind: 'failed', error: 'HTTP 502' });
  });
});

describe('the DescribeWorkflowExecution URL', () => {
  it('keeps a base path, and encodes the namespace and workflow id as path segments', () => {
    expect(describeUrl('http://temporal:7243/', 'default', 'team-a.run-1')).toBe(
      'http://temporal:7243/api/v1/namespaces/default/workflows/team-a.run-1',
    );
    expect(describeUrl('https://proxy.example/temporal', 'prod ns', 'a/b')).toBe(
      'https://proxy.example/temporal/api/v1/namespaces/prod%20ns/workflows/a%2Fb',
    );
  });
});
