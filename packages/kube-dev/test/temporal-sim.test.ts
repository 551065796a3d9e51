import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/index.js';
import { AR, agentRun, serverHarness } from './support.js';

const harness = serverHarness();
const ns = 'temporal';
const BINDING = 'jangar.proompteng.ai/binding';

/** An AgentRun bound to `temporal` as the provisioner binds it: workflow id `<namespace>.<name>`. */
function temporalRun(name: string): KubeObject {
  const binding = {
    provider: 'temporal',
    config: { namespace: 'default', taskQueue: 'agents', workflowType: 'AgentRun', workflowId: `${ns}.${name}` },
  };
  return agentRun(name, { annotations: { [BINDING]: JSON.stringify(binding) } });
}

describe('simulated Temporal HTTP API', () => {
  it('describes the workflow of a bound run with the status of its phase, and 404s (gRPC NOT_FOUND) until it has started', async () => {
    const { url, api } = await harness.start();
    const run = (await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: temporalRun('t1') })) as KubeObject;
    const describe = async (workflowId: string, namespace = 'default') => {
      const res = await fetch(`${url}/api/v1/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    let current = run;
    const setStatus = async (status: Record<string, unknown>) => {
      current = (await api.replaceNamespacedCustomObjectStatus({
        ...AR,
        namespace: ns,
        name: 't1',
        body: { ...current, status },
      })) as KubeObject;
    };

    expect(await describe(`${ns}.t1`)).toEqual({
      status: 404,
      body: { code: 5, message: `workflow not found for ID: ${ns}.t1`, details: [] },
    });

    await setStatus({ phase: 'Running', startedAt: '2026-11-25T10:00:00Z' });
    const running = await describe(`${ns}.t1`);
    expect(running.status).toBe(200);
    expect(running.body.workflowExecutionInfo).toMatchObject({
      execution: { workflowId: `${ns}.t1`, runId: run.metadata.uid },
      type: { name: 'AgentRun' },
      status: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
      startTime: '2026-11-25T10:00:00Z',
      taskQueue: 'agents',
    });

    for (const [phase, status] of [
      ['Succeeded', 'WORKFLOW_EXECUTION_STATUS_COMPLETED'],
      ['Failed', 'WORKFLOW_EXECUTION_STATUS_FAILED'],
      ['Cancelled', 'WORKFLOW_EXECUTION_STATUS_CANCELED'],
    ]) {
      await setStatus({ phase, startedAt: '2026-11-25T10:00:00Z', finishedAt: '2026-11-25T10:01:00Z' });
      const closed = await describe(`${ns}.t1`);
      expect(closed.body.workflowExecutionInfo, phase).toMatchObject({ status, closeTime: '2026-11-25T10:01:00Z' });
    }

    // Another Temporal namespace, an unknown id, and a deleted run: no such workflow.
    expect((await describe(`${ns}.t1`, 'other')).status).toBe(404);
    expect((await describe(`${ns}.missing`)).body).toMatchObject({ code: 5 });
    await api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: 't1' });
    expect((await describe(`${ns}.t1`)).status).toBe(404);
  });
});
