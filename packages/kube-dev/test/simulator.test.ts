import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { SCENARIO_ANNOTATION } from '../src/index.js';
import type { KubeObject } from '../src/index.js';
import { AR, agentRun, recordWatch, serverHarness, waitFor } from './support.js';
import type { SeenEvent } from './support.js';

const harness = serverHarness();
const ns = 'sim';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const path = `/apis/${AR.group}/${AR.version}/namespaces/${ns}/${AR.plural}`;

function phases(events: SeenEvent[], name: string): (string | undefined)[] {
  return events.filter((e) => e.object.metadata.name === name).map((e) => (e.object.status as { phase?: string } | undefined)?.phase);
}

describe('simulated runtime', () => {
  it('drives an AgentRun Pending → Running → Succeeded, visible through a watch', async () => {
    const { api, kc } = await harness.start({ simulate: { stepMs: 20 } });
    const watch = await recordWatch(kc, path);
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('ok') });
    await waitFor(() => phases(watch.events, 'ok').includes('Succeeded'), 'Succeeded');
    watch.stop();
    expect(phases(watch.events, 'ok')).toEqual([undefined, 'Pending', 'Running', 'Succeeded']);
    expect(watch.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED']);
    const done = watch.events.at(-1)?.object as KubeObject;
    const status = done.status as { startedAt: string; finishedAt: string; conditions: { type: string; status: string }[] };
    expect(status.startedAt).toBeDefined();
    expect(status.finishedAt).toBeDefined();
    expect(status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'InProgress=False', 'Succeeded=True']);
  });

  it('ends the failure scenario Failed and leaves the stuck scenario Running', async () => {
    const { api, kc } = await harness.start({ simulate: { stepMs: 20 } });
    const watch = await recordWatch(kc, path);
    await api.createNamespacedCustomObject({
      ...AR,
      namespace: ns,
      body: agentRun('bad', { annotations: { [SCENARIO_ANNOTATION]: 'failure' } }),
    });
    await api.createNamespacedCustomObject({
      ...AR,
      namespace: ns,
      body: agentRun('stuck', { annotations: { [SCENARIO_ANNOTATION]: 'stuck' } }),
    });
    await waitFor(() => phases(watch.events, 'bad').includes('Failed'), 'Failed');
    await waitFor(() => phases(watch.events, 'stuck').includes('Running'), 'stuck Running');
    const failed = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'bad' })) as KubeObject;
    expect(failed.status).toMatchObject({ phase: 'Failed', reason: 'Error' });
    // A step later than the failed run's last step, the stuck run has still not moved.
    const rv = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'stuck' })) as KubeObject;
    await api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('marker') });
    await waitFor(() => phases(watch.events, 'marker').includes('Succeeded'), 'marker Succeeded');
    watch.stop();
    const stuck = (await api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'stuck' })) as KubeObject;
    expect(stuck.metadata.resourceVersion).toBe(rv.metadata.resourceVersion);
    expect((stuck.status as { phase: string }).phase).toBe('Running');
  });

  it('drives OrchestrationRuns too, and stops driving deleted runs', async () => {
    const server = await harness.start({ simulate: { stepMs: 20 } });
    const orun = { group: 'orchestration.proompteng.ai', version: 'v1alpha1', plural: 'orchestrationruns' };
    await server.api.createNamespacedCustomObject({
      ...orun,
      namespace: ns,
      body: {
        apiVersion: 'orchestration.proompteng.ai/v1alpha1',
        kind: 'OrchestrationRun',
        metadata: { name: 'o' },
        spec: { orchestrationRef: { name: 'absent' } },
      },
    });
    await waitFor(async () => {
      const o = (await server.api.getNamespacedCustomObject({ ...orun, namespace: ns, name: 'o' })) as KubeObject;
      return (o.status as { phase?: string } | undefined)?.phase === 'Succeeded';
    }, 'OrchestrationRun Succeeded');

    // A finalizer keeps the deleted run readable, so we can see that nothing touches it any more.
    const watch = await recordWatch(server.kc, path);
    await server.api.createNamespacedCustomObject({
      ...AR,
      namespace: ns,
      body: agentRun('short', { finalizers: ['test/hold'], annotations: { [SCENARIO_ANNOTATION]: 'stuck' } }),
    });
    await waitFor(() => phases(watch.events, 'short').includes('Running'), 'Running');
    const deleting = (await server.api.deleteNamespacedCustomObject({ ...AR, namespace: ns, name: 'short' })) as KubeObject;
    await server.api.patchNamespacedCustomObject(
      { ...AR, namespace: ns, name: 'short', body: { metadata: { annotations: { [SCENARIO_ANNOTATION]: 'success' } } } },
      mergePatch,
    );
    await server.api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('later') });
    await waitFor(() => phases(watch.events, 'later').includes('Succeeded'), 'later run finished');
    watch.stop();
    const short = (await server.api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'short' })) as KubeObject;
    expect(short.metadata.deletionTimestamp).toBe(deleting.metadata.deletionTimestamp);
    expect((short.status as { phase: string }).phase).toBe('Running');
  });

  it('resumes runs left mid-flight by a restart', async () => {
    const first = await harness.start({ simulate: { stepMs: 60_000 } });
    await first.api.createNamespacedCustomObject({ ...AR, namespace: ns, body: agentRun('resume') });
    await waitFor(async () => {
      const run = (await first.api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'resume' })) as KubeObject;
      return (run.status as { phase?: string } | undefined)?.phase === 'Pending';
    }, 'Pending before restart');
    await first.kd.close();

    const second = await harness.start({ stateFile: first.stateFile, simulate: { stepMs: 20 } });
    await waitFor(async () => {
      const run = (await second.api.getNamespacedCustomObject({ ...AR, namespace: ns, name: 'resume' })) as KubeObject;
      return (run.status as { phase?: string }).phase === 'Succeeded';
    }, 'resumed run to finish');
  });
});
