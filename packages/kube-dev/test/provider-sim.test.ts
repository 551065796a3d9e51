import { describe, expect, it } from 'vitest';
import { SCENARIO_ANNOTATION } from '../src/index.js';
import type { KubeObject } from '../src/index.js';
import { AR, agentRun, serverHarness, waitFor } from './support.js';

const harness = serverHarness();
const ns = 'prov';
const BINDING = 'jangar.proompteng.ai/binding';
const JOBS = { group: 'batch', version: 'v1', plural: 'jobs' } as const;
const WORKFLOWS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' } as const;
const ORCH = { group: 'orchestration.proompteng.ai', version: 'v1alpha1' } as const;

function bound(name: string, kind: 'Job' | 'Workflow', scenario: string): KubeObject {
  const apiVersion = kind === 'Job' ? 'batch/v1' : 'argoproj.io/v1alpha1';
  const binding = { provider: kind === 'Job' ? 'job' : 'argo', resource: { apiVersion, kind, name, namespace: ns }, config: {} };
  return agentRun(name, { annotations: { [BINDING]: JSON.stringify(binding), [SCENARIO_ANNOTATION]: scenario } });
}

describe('simulated provider objects', () => {
  it('creates the bound Job, labels it with the run uid and moves it with the run', async () => {
    const { api } = await harness.start({ simulate: { stepMs: 10 } });
    const run = (await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: bound('r1', 'Job', 'retry') })) as KubeObject;
    const done = await waitFor(async () => {
      const r = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'r1' })) as KubeObject;
      return (r.status as { phase?: string }).phase === 'Succeeded' ? r : undefined;
    }, 'run Succeeded');
    expect(done.status).toMatchObject({ provider: { phase: 'Succeeded' }, retry: { attempt: 2, maxAttempts: 2 } });
    const job = (await api.getNamespacedCustomObject({ ...JOBS, namespace: ns, name: 'r1' })) as KubeObject;
    expect(job.metadata.labels).toMatchObject({ 'jangar.proompteng.ai/run-uid': run.metadata.uid });
    expect(job.status).toMatchObject({ succeeded: 1, failed: 1, conditions: [{ type: 'Complete', status: 'True' }] });
  });

  it('fails the bound Workflow with a message in the failure scenario', async () => {
    const { api } = await harness.start({ simulate: { stepMs: 10 } });
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: bound('w1', 'Workflow', 'failure') });
    const wf = await waitFor(async () => {
      const w = (await api.getNamespacedCustomObject({ ...WORKFLOWS, namespace: ns, name: 'w1' }).catch(() => undefined)) as
        KubeObject | undefined;
      return (w?.status as { phase?: string } | undefined)?.phase === 'Failed' ? w : undefined;
    }, 'workflow Failed');
    expect((wf!.status as { message: string }).message).toMatch(/failure/);
    const r = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'w1' })) as KubeObject;
    expect(r.status).toMatchObject({ phase: 'Failed', provider: { phase: 'Failed', message: expect.stringMatching(/failure/) } });
  });

  it("walks an OrchestrationRun through its Orchestration's steps", async () => {
    const { api } = await harness.start({ simulate: { stepMs: 10 } });
    const steps = ['one', 'two', 'three'].map((name) => ({ name, kind: 'Checkpoint' }));
    await api.createNamespacedCustomObject({
      ...ORCH,
      plural: 'orchestrations',
      namespace: ns,
      body: { apiVersion: `${ORCH.group}/${ORCH.version}`, kind: 'Orchestration', metadata: { name: 'flow' }, spec: { steps } },
    });
    await api.createNamespacedCustomObject({
      ...ORCH,
      plural: 'orchestrationruns',
      namespace: ns,
      body: {
        apiVersion: `${ORCH.group}/${ORCH.version}`,
        kind: 'OrchestrationRun',
        metadata: { name: 'flow-1' },
        spec: { orchestrationRef: { name: 'flow' } },
      },
    });
    const done = await waitFor(async () => {
      const o = (await api.getNamespacedCustomObject({
        ...ORCH,
        plural: 'orchestrationruns',
        namespace: ns,
        name: 'flow-1',
      })) as KubeObject;
      return (o.status as { phase?: string }).phase === 'Succeeded' ? o : undefined;
    }, 'OrchestrationRun Succeeded');
    const statuses = (done.status as { stepStatuses: { name: string; phase: string }[] }).stepStatuses;
    expect(statuses.map((s) => `${s.name}=${s.phase}`)).toEqual(['one=Succeeded', 'two=Succeeded', 'three=Succeeded']);
  });
});
