import { describe, expect, it } from 'vitest';
import { KINDS } from '@jangar/contracts';
import {
  childRunFor,
  childRunName,
  failChildStart,
  labelValueOf,
  nextRunStatus,
  ObjectStore,
  PROVIDER_RESOURCES,
  recordChild,
  ResourceRegistry,
  resourcesFromKinds,
  SCENARIO_ANNOTATION,
  stepPhaseOfChild,
  stepsAwaitingChild,
} from '../src/index.js';
import type { ChildRunState, KubeObject, RunSnapshot, RunStatus, SimScenario, StepResourceRef, StepStatus } from '../src/index.js';
import { startChildRun } from '../src/provider-sync.js';
import { isDnsSubdomain, isLabelValue } from '../src/validation.js';

const t0 = new Date('2025-01-02T03:04:05Z');
const at = (i: number) => new Date(t0.getTime() + i * 1000);

const parent: KubeObject = {
  apiVersion: 'orchestration.proompteng.ai/v1alpha1',
  kind: 'OrchestrationRun',
  metadata: {
    name: 'release-1',
    namespace: 'ns',
    uid: 'parent-uid',
    resourceVersion: '5',
    generation: 1,
    creationTimestamp: '2025-01-02T03:04:05Z',
    labels: { 'jangar.proompteng.ai/id': 'parent-id', 'jangar.proompteng.ai/delivery': 'd1' },
    annotations: {
      'jangar.proompteng.ai/correlation-id': 'release-42',
      'jangar.proompteng.ai/traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'jangar.proompteng.ai/delivery-id': 'exec-1',
      [SCENARIO_ANNOTATION]: 'retry',
    },
  },
  spec: { orchestrationRef: { name: 'release' }, parameters: { env: 'prod', prompt: 'not a parameter' } },
};

describe('childRunName', () => {
  it('is <run>-<step> when that is a valid object name', () => {
    expect(childRunName('release-1', 'build')).toBe('release-1-build');
    expect(childRunName('release.v2', 'build')).toBe('release.v2-build');
  });

  it('turns other characters into dashes and adds a digest, so distinct steps keep distinct names', () => {
    const a = childRunName('release-1', 'Build Image');
    const b = childRunName('release-1', 'build_image');
    expect(a).toMatch(/^release-1-build-image-[0-9a-f]{10}$/);
    expect(b).toMatch(/^release-1-build-image-[0-9a-f]{10}$/);
    expect(a).not.toBe(b);
    expect(isDnsSubdomain(a) && isDnsSubdomain(b)).toBe(true);
  });

  it('stays a valid name of at most 253 characters for the longest names, and is the same every time', () => {
    const long = childRunName('r'.repeat(253), 's'.repeat(63));
    expect(long.length).toBeLessThanOrEqual(253);
    expect(isDnsSubdomain(long)).toBe(true);
    expect(childRunName('r'.repeat(253), 's'.repeat(63))).toBe(long);
    expect(isDnsSubdomain(childRunName('run', '---'))).toBe(true);
  });
});

describe('labelValueOf', () => {
  it('keeps valid label values and shortens the rest to a valid value with a digest', () => {
    expect(labelValueOf('release-1')).toBe('release-1');
    const long = labelValueOf(`a.${'b'.repeat(100)}`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(isLabelValue(long)).toBe(true);
    expect(isLabelValue(labelValueOf('Build Image!'))).toBe(true);
  });
});

describe('childRunFor', () => {
  it("builds the step's AgentRun: owned by the run, labelled with run and step, carrying correlation id, trace and scenario", () => {
    const child = childRunFor(parent, { name: 'build', kind: 'AgentRun', agentRef: { name: 'coder' } });
    expect(child).toEqual({
      apiVersion: 'agents.proompteng.ai/v1alpha1',
      kind: 'AgentRun',
      metadata: {
        name: 'release-1-build',
        namespace: 'ns',
        labels: { 'jangar.proompteng.ai/orchestration-run': 'release-1', 'jangar.proompteng.ai/step': 'build' },
        annotations: {
          'jangar.proompteng.ai/correlation-id': 'release-42',
          'jangar.proompteng.ai/traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          [SCENARIO_ANNOTATION]: 'retry',
        },
        ownerReferences: [
          {
            apiVersion: 'orchestration.proompteng.ai/v1alpha1',
            kind: 'OrchestrationRun',
            name: 'release-1',
            uid: 'parent-uid',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        agentRef: { name: 'coder' },
        runtime: { type: 'job' },
        implementation: { inline: { text: 'Step "build" of OrchestrationRun ns/release-1' } },
        parameters: { env: 'prod' },
      },
    });
  });

  it("takes the prompt and runtime from the step's `with`", () => {
    const withPrompt = { prompt: 'ship it', runtime: { type: 'workflow', config: { template: 't' } } };
    expect(childRunFor(parent, { name: 'ship', kind: 'AgentRun', agentRef: { name: 'coder' }, with: withPrompt }).spec).toMatchObject({
      runtime: { type: 'workflow', config: { template: 't' } },
      implementation: { inline: { text: 'ship it' } },
    });
    const named = childRunFor(parent, { name: 'ship', kind: 'AgentRun', agentRef: { name: 'coder' }, with: { runtime: 'temporal' } });
    expect(named.spec.runtime).toEqual({ type: 'temporal' });
  });

  it('copies nothing the run does not have and refuses a step without agentRef', () => {
    const bare = { ...parent, metadata: { ...parent.metadata, annotations: {} }, spec: { orchestrationRef: { name: 'release' } } };
    const child = childRunFor(bare, { name: 'build', kind: 'AgentRun', agentRef: { name: 'coder' } });
    expect(child.metadata.annotations).toBeUndefined();
    expect(child.spec.parameters).toBeUndefined();
    expect(() => childRunFor(parent, { name: 'build', kind: 'AgentRun' })).toThrow(/agentRef/);
  });
});

describe('stepPhaseOfChild', () => {
  it('keeps the step Running until the child ends, then Succeeded or Failed (Cancelled fails it)', () => {
    const table = [undefined, 'Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled'].map((p) => `${p}→${stepPhaseOfChild(p)}`);
    expect(table).toEqual([
      'undefined→Running',
      'Pending→Running',
      'Running→Running',
      'Succeeded→Succeeded',
      'Failed→Failed',
      'Cancelled→Failed',
    ]);
  });
});

const ref = (name: string): StepResourceRef => ({
  apiVersion: 'agents.proompteng.ai/v1alpha1',
  kind: 'AgentRun',
  name,
  namespace: 'ns',
  uid: `uid-${name}`,
});
const steps = (status: RunStatus | undefined) => (status?.stepStatuses as StepStatus[] | undefined) ?? [];
const summary = (status: RunStatus | undefined) =>
  `${status?.phase}:${steps(status)
    .map((s) => `${s.name}=${s.phase}`)
    .join(',')}`;

/** A run of two steps, `a` an AgentRun step and `b` a Checkpoint, walked up to the point where `a` waits for its child. */
function started(scenario: SimScenario = 'success'): { status: RunStatus; snapshot: Omit<RunSnapshot, 'status' | 'now'> } {
  const snapshot = { scenario, generation: 1 };
  const pending = nextRunStatus({
    ...snapshot,
    status: undefined,
    now: at(0),
    steps: [
      { name: 'a', kind: 'AgentRun' },
      { name: 'b', kind: 'Checkpoint' },
    ],
  });
  const running = nextRunStatus({ ...snapshot, status: pending, now: at(1) })!;
  return { status: recordChild(running, 'a', ref('run-a')), snapshot };
}

describe('steps that run as child AgentRuns', () => {
  it('records step kinds when accepted and asks for a child when an AgentRun step starts', () => {
    const pending = nextRunStatus({
      scenario: 'success',
      generation: 1,
      status: undefined,
      now: at(0),
      steps: [{ name: 'a', kind: 'AgentRun' }, { name: 'b' }],
    });
    expect(pending?.stepStatuses).toEqual([
      { name: 'a', kind: 'AgentRun', phase: 'Pending' },
      { name: 'b', phase: 'Pending' },
    ]);
    const running = nextRunStatus({ scenario: 'success', generation: 1, status: pending, now: at(1) })!;
    expect(stepsAwaitingChild(running).map((s) => s.name)).toEqual(['a']);
    // Until its child is recorded the step cannot move; once recorded, it waits for nothing else.
    expect(nextRunStatus({ scenario: 'success', generation: 1, status: running, now: at(2) })).toBeUndefined();
    const recorded = recordChild(running, 'a', ref('run-a'));
    expect(stepsAwaitingChild(recorded)).toEqual([]);
    expect(steps(recorded)[0]).toMatchObject({ name: 'a', phase: 'Running', resourceRef: ref('run-a') });
  });

  it('keeps the step Running while its child is Pending or Running, then moves on when the child Succeeded', () => {
    const { status, snapshot } = started();
    for (const phase of [undefined, 'Pending', 'Running']) {
      const children: Record<string, ChildRunState> = { a: phase ? { phase } : {} };
      expect(nextRunStatus({ ...snapshot, status, children, now: at(2) }), String(phase)).toBeUndefined();
    }
    const next = nextRunStatus({ ...snapshot, status, children: { a: { phase: 'Succeeded' } }, now: at(3) });
    expect(summary(next)).toBe('Running:a=Succeeded,b=Running');
    expect(steps(next)[0]).toMatchObject({ finishedAt: '2025-01-02T03:04:08Z', resourceRef: ref('run-a') });
    const done = nextRunStatus({ ...snapshot, status: next, now: at(4) });
    expect(summary(done)).toBe('Succeeded:a=Succeeded,b=Succeeded');
  });

  it('fails the step and the run when the child fails, with the child’s message', () => {
    const { status, snapshot } = started();
    const failed = nextRunStatus({ ...snapshot, status, children: { a: { phase: 'Failed', message: 'boom' } }, now: at(2) });
    expect(summary(failed)).toBe('Failed:a=Failed,b=Pending');
    expect(failed).toMatchObject({ reason: 'StepFailed', message: 'step "a" failed: AgentRun run-a Failed: boom' });
    expect(failed?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'StepFailed' });
  });

  it('fails the step when its child is gone', () => {
    const { status, snapshot } = started();
    const failed = nextRunStatus({ ...snapshot, status, children: {}, now: at(2) });
    expect(summary(failed)).toBe('Failed:a=Failed,b=Pending');
    expect(failed?.message).toBe('step "a" failed: AgentRun run-a no longer exists');
  });

  it("follows the child whatever the run's own scenario: the scenario reaches the step through the child", () => {
    for (const scenario of ['failure', 'stuck', 'retry'] as const) {
      const { status, snapshot } = started(scenario);
      expect(nextRunStatus({ ...snapshot, status, children: { a: { phase: 'Running' } }, now: at(2) }), scenario).toBeUndefined();
      const next = nextRunStatus({ ...snapshot, status, children: { a: { phase: 'Succeeded' } }, now: at(2) });
      expect(summary(next), scenario).toBe('Running:a=Succeeded,b=Running');
    }
  });

  it('fails the step and the run when the child cannot be started', () => {
    const pending = nextRunStatus({
      scenario: 'success',
      generation: 1,
      status: undefined,
      now: at(0),
      steps: [{ name: 'a', kind: 'AgentRun' }],
    });
    const running = nextRunStatus({ scenario: 'success', generation: 1, status: pending, now: at(1) })!;
    const failed = failChildStart({ now: at(1), generation: 1 }, running, 'a', 'step "a" has no agentRef');
    expect(summary(failed)).toBe('Failed:a=Failed');
    expect(failed.message).toBe('step "a" failed: its AgentRun could not be started: step "a" has no agentRef');
  });
});

describe('startChildRun', () => {
  const registry = new ResourceRegistry([...resourcesFromKinds(KINDS), ...PROVIDER_RESOURCES]);
  const orchestrations = registry.all.find((r) => r.kind === 'Orchestration')!;
  const runs = registry.all.find((r) => r.kind === 'OrchestrationRun')!;
  const agentRuns = registry.all.find((r) => r.kind === 'AgentRun')!;

  function setup() {
    const store = new ObjectStore();
    store.create(orchestrations, 'ns', {
      apiVersion: 'orchestration.proompteng.ai/v1alpha1',
      kind: 'Orchestration',
      metadata: { name: 'release' },
      spec: { steps: [{ name: 'build', kind: 'AgentRun', agentRef: { name: 'coder' } }] },
    });
    const run = store.create(runs, 'ns', { ...parent, metadata: { name: 'release-1', annotations: parent.metadata.annotations } });
    return { store, run };
  }

  it('creates the child once: after a restart the same call finds the child it created', () => {
    const { store, run } = setup();
    const first = startChildRun(store, registry, run, 'build');
    const again = startChildRun(store, registry, run, 'build');
    expect(again.metadata.uid).toBe(first.metadata.uid);
    expect([...store.scan(agentRuns)].map(([, o]) => o.metadata.name)).toEqual(['release-1-build']);
  });

  it('refuses an AgentRun of that name that another run owns, and a step the Orchestration no longer has', () => {
    const { store, run } = setup();
    store.create(agentRuns, 'ns', {
      ...childRunFor(run, { name: 'build', kind: 'AgentRun', agentRef: { name: 'coder' } }),
      metadata: { name: 'release-1-build' },
    });
    expect(() => startChildRun(store, registry, run, 'build')).toThrow(/belongs to another run/);
    expect(() => startChildRun(store, registry, run, 'deploy')).toThrow(/no longer in the Orchestration/);
  });
});
