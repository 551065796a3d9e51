import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { JANGAR_ANNOTATIONS, JANGAR_LABELS, KubeObject, normalizeRun, PROVIDER_RUN_UID_LABEL, providerStateOf } from '@jangar/contracts';
import { slimProvider, slimRun } from '../src/slim.js';
import { belongsTo } from '../src/watch.js';

const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:implementation': {} } } }];

// A run as a real API server serves it after `kubectl apply`, with a controller's status.
const run = {
  apiVersion: 'agents.proompteng.ai/v1alpha1',
  kind: 'AgentRun',
  metadata: {
    name: 'fix-login',
    namespace: 'team-a',
    uid: '6c1f0e3a-7f0b-4e7c-9a53-2f9f5c0d3a11',
    resourceVersion: '4711',
    generation: 2,
    creationTimestamp: '2026-11-26T08:00:00Z',
    labels: { [JANGAR_LABELS.id]: 'run-1', team: 'a' },
    annotations: {
      [JANGAR_ANNOTATIONS.deliveryId]: 'd-1',
      [JANGAR_ANNOTATIONS.correlationId]: 'c-1',
      [JANGAR_ANNOTATIONS.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [JANGAR_ANNOTATIONS.binding]: JSON.stringify({
        provider: 'job',
        resource: { apiVersion: 'batch/v1', kind: 'Job', name: 'fix-login', namespace: 'team-a' },
        config: {},
      }),
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
        spec: { implementation: { inline: { text: 'x'.repeat(5000) } } },
      }),
    },
    managedFields,
  },
  spec: {
    agentRef: { name: 'coder' },
    runtime: { type: 'job', config: { backoffLimit: 0 } },
    implementation: { inline: { text: 'Fix the login form. '.repeat(500) } },
    parameters: { branch: 'main' },
  },
  status: {
    phase: 'Failed',
    startedAt: '2026-11-26T08:00:01Z',
    finishedAt: '2026-11-26T08:01:00Z',
    conditions: [{ type: 'Failed', status: 'True', reason: 'JobFailed', message: 'exit code 1' }],
    stepStatuses: [
      { name: 'plan', phase: 'Succeeded' },
      { name: 'edit', phase: 'Failed' },
    ],
    provider: { phase: 'Failed', message: 'BackoffLimitExceeded' },
    retry: { attempt: 1 },
  },
};

// client-node types timestamps as Date; served JSON has strings, as here.
const asServed = (obj: object) => obj as KubernetesObject & { spec?: unknown; status?: unknown };

const job = (status: unknown) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'fix-login',
    namespace: 'team-a',
    uid: 'job-uid',
    resourceVersion: '12',
    labels: { [PROVIDER_RUN_UID_LABEL]: run.metadata.uid },
    annotations: { 'batch.kubernetes.io/job-tracking': '' },
    managedFields,
  },
  spec: {
    template: {
      spec: { containers: [{ name: 'agent', image: 'jangar/agent-runner:dev', env: [{ name: 'PROMPT', value: 'x'.repeat(4000) }] }] },
    },
  },
  status,
});

describe('slimRun', () => {
  it('keeps everything observing a run reads', () => {
    const slim = slimRun(asServed(run));
    expect(normalizeRun(KubeObject.parse(slim))).toEqual(normalizeRun(KubeObject.parse(run)));
    expect(slim.metadata?.annotations?.[JANGAR_ANNOTATIONS.traceparent]).toBe(run.metadata.annotations[JANGAR_ANNOTATIONS.traceparent]);
  });

  it('drops managedFields, the last-applied copy and the spec but for its runtime', () => {
    const slim = slimRun(asServed(run));
    expect(slim.metadata ?? {}).not.toHaveProperty('managedFields');
    expect(slim.metadata?.annotations).not.toHaveProperty('kubectl.kubernetes.io/last-applied-configuration');
    expect(slim.spec).toEqual({ runtime: run.spec.runtime });
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(run).length / 5);
  });

  it('leaves a run without annotations or runtime valid', () => {
    const bare = { apiVersion: run.apiVersion, kind: 'AgentRun', metadata: { name: 'a', namespace: 'n', uid: 'u', resourceVersion: '1' } };
    expect(slimRun(bare)).toEqual({ ...bare, spec: {} });
  });
});

describe('slimProvider', () => {
  it.each([
    ['running', { active: 1, startTime: '2026-11-26T08:00:01Z', uncountedTerminatedPods: {} }],
    ['complete', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastProbeTime: '2026-11-26T08:01:00Z' }] }],
    [
      'failed',
      {
        failed: 1,
        conditions: [
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
        ],
      },
    ],
  ])('keeps the state of a %s Job and whose it is', (_name, status) => {
    const full = job(status);
    const slim = slimProvider(full, 'Job');
    expect(providerStateOf(slim)).toEqual(providerStateOf(full));
    expect(belongsTo(KubeObject.parse(run), slim)).toBe(true);
    expect(slim).not.toHaveProperty('spec');
    expect(slim.metadata ?? {}).not.toHaveProperty('managedFields');
  });

  it("keeps a Workflow's phase and message, not its node map", () => {
    const nodes = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`wf-${i}`, { id: `wf-${i}`, phase: 'Succeeded', outputs: { parameters: [] } }]),
    );
    const full = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'wf', namespace: 'team-a' },
      status: { phase: 'Error', message: 'pod deleted', nodes },
    };
    const slim = slimProvider(full, 'Workflow');
    expect(slim.status).toEqual({ phase: 'Error', message: 'pod deleted' });
    expect(providerStateOf(slim)).toEqual({ phase: 'Failed', message: 'pod deleted' });
  });
});
