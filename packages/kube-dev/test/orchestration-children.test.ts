import { describe, expect, it } from 'vitest';
import { SCENARIO_ANNOTATION } from '../src/index.js';
import type { KubeObject } from '../src/index.js';
import { AR, AR_API_VERSION, recordWatch, serverHarness, waitFor } from './support.js';
import type { TestServer } from './support.js';

const harness = serverHarness();
const ns = 'orch';
const ORCH = { group: 'orchestration.proompteng.ai', version: 'v1alpha1' } as const;
const ORCH_API_VERSION = `${ORCH.group}/${ORCH.version}`;
const CORRELATION = 'jangar.proompteng.ai/correlation-id';
const TRACEPARENT = 'jangar.proompteng.ai/traceparent';
const RUN_LABEL = 'jangar.proompteng.ai/orchestration-run';
const STEP_LABEL = 'jangar.proompteng.ai/step';
const trace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

interface StepStatus {
  name: string;
  kind?: string;
  phase: string;
  resourceRef?: { apiVersion: string; kind: string; name: string; namespace: string; uid: string };
}
const phaseOf = (o: KubeObject | undefined) => (o?.status as { phase?: string } | undefined)?.phase;

/** An Orchestration of two AgentRun steps and one execution of it, annotated like the provisioner does. */
async function execute(server: TestServer, annotations: Record<string, string> = {}): Promise<KubeObject> {
  await server.api.createNamespacedCustomObject({
    ...ORCH,
    plural: 'orchestrations',
    namespace: ns,
    body: {
      apiVersion: ORCH_API_VERSION,
      kind: 'Orchestration',
      metadata: { name: 'release' },
      spec: {
        steps: [
          { name: 'build', kind: 'AgentRun', agentRef: { name: 'coder' }, with: { prompt: 'build it' } },
          { name: 'ship', kind: 'AgentRun', agentRef: { name: 'coder' }, dependsOn: ['build'] },
        ],
      },
    },
  });
  return (await server.api.createNamespacedCustomObject({
    ...ORCH,
    plural: 'orchestrationruns',
    namespace: ns,
    body: {
      apiVersion: ORCH_API_VERSION,
      kind: 'OrchestrationRun',
      metadata: { name: 'release-1', annotations: { [CORRELATION]: 'release-42', [TRACEPARENT]: trace, ...annotations } },
      spec: { orchestrationRef: { name: 'release' }, parameters: { env: 'prod' } },
    },
  })) as KubeObject;
}

const finished = (server: TestServer) =>
  waitFor(async () => {
    const o = (await server.api.getNamespacedCustomObject({
      ...ORCH,
      plural: 'orchestrationruns',
      namespace: ns,
      name: 'release-1',
    })) as KubeObject;
    return phaseOf(o) === 'Succeeded' || phaseOf(o) === 'Failed' ? o : undefined;
  }, 'the OrchestrationRun to finish');

const children = async (server: TestServer) =>
  (
    (await server.api.listNamespacedCustomObject({ ...AR, namespace: ns, labelSelector: `${RUN_LABEL}=release-1` })) as {
      items: KubeObject[];
    }
  ).items;

describe('an OrchestrationRun whose steps are AgentRuns', () => {
  it('starts one child AgentRun per step, one after the other, owned, labelled and correlated, and succeeds when they do', async () => {
    const server = await harness.start({ simulate: { stepMs: 10 } });
    const watch = await recordWatch(server.kc, `/apis/${AR.group}/${AR.version}/namespaces/${ns}/${AR.plural}`);
    const run = await execute(server);
    const done = await finished(server);
    watch.stop();

    expect(phaseOf(done)).toBe('Succeeded');
    const kids = await children(server);
    expect(kids.map((k) => k.metadata.name)).toEqual(['release-1-build', 'release-1-ship']);
    for (const kid of kids) {
      const step = kid.metadata.name.replace('release-1-', '');
      expect(kid.metadata.labels).toEqual({ [RUN_LABEL]: 'release-1', [STEP_LABEL]: step });
      expect(kid.metadata.annotations).toEqual({ [CORRELATION]: 'release-42', [TRACEPARENT]: trace });
      expect(kid.metadata.ownerReferences).toEqual([
        {
          apiVersion: ORCH_API_VERSION,
          kind: 'OrchestrationRun',
          name: 'release-1',
          uid: run.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(kid.spec).toMatchObject({ agentRef: { name: 'coder' }, runtime: { type: 'job' }, parameters: { env: 'prod' } });
      expect(phaseOf(kid)).toBe('Succeeded');
    }
    expect((kids[0]?.spec as { implementation: unknown }).implementation).toEqual({ inline: { text: 'build it' } });

    const steps = (done.status as { stepStatuses: StepStatus[] }).stepStatuses;
    expect(steps).toEqual(
      kids.map((kid, i) =>
        expect.objectContaining({
          name: ['build', 'ship'][i],
          kind: 'AgentRun',
          phase: 'Succeeded',
          resourceRef: { apiVersion: AR_API_VERSION, kind: 'AgentRun', name: kid.metadata.name, namespace: ns, uid: kid.metadata.uid },
        }),
      ),
    );

    // The second step's child is created only after the first step's child succeeded.
    const seen = watch.events.map((e) => `${e.object.metadata.name}:${e.type === 'ADDED' ? 'ADDED' : (phaseOf(e.object) ?? '-')}`);
    expect(seen).toContain('release-1-build:Succeeded');
    expect(seen).toContain('release-1-ship:ADDED');
    expect(seen.indexOf('release-1-ship:ADDED')).toBeGreaterThan(seen.indexOf('release-1-build:Succeeded'));
  });

  it('fails the OrchestrationRun at the step whose child fails; children inherit the run’s sim-scenario', async () => {
    const server = await harness.start({ simulate: { stepMs: 10 } });
    await execute(server, { [SCENARIO_ANNOTATION]: 'failure' });
    const done = await finished(server);

    expect(phaseOf(done)).toBe('Failed');
    // OrchestrationRun status has no reason or message of its own: the Failed condition says why.
    const failed = (done.status as { conditions: { type: string }[] }).conditions.find((c) => c.type === 'Failed');
    expect(failed).toMatchObject({
      status: 'True',
      reason: 'StepFailed',
      message: expect.stringMatching(/^step "build" failed: AgentRun release-1-build Failed: Simulated failure/),
    });
    const steps = (done.status as { stepStatuses: StepStatus[] }).stepStatuses;
    expect(steps.map((s) => `${s.name}=${s.phase}`)).toEqual(['build=Failed', 'ship=Pending']);
    const kids = await children(server);
    expect(kids.map((k) => `${k.metadata.name}=${phaseOf(k)}`)).toEqual(['release-1-build=Failed']);
    expect(kids[0]?.metadata.annotations?.[SCENARIO_ANNOTATION]).toBe('failure');
  });
});
