import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, AgentRun, type KindDefinition, type OutcomePayload } from '@jangar/contracts';
import { applyUpdate } from '../src/apply/update.js';
import { Cluster, type StoredBody } from '../src/cluster.js';
import { createDirectly, decision, readDirectly, startHarness, type Harness } from './harness.js';

const NS = 'updates';
const RUN_SPEC = { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'work' } } };
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await createDirectly(h.api, Agent, NS, 'coder', { providerRef: { name: 'codex' } });
});

afterAll(async () => {
  await h?.kd.close();
});

describe('applying an update', () => {
  it('keeps the metadata Jangar does not own, such as the controller ownerReference and finalizers of a child run', async () => {
    const parent = await createDirectly(h.api, Agent, NS, 'parent', { providerRef: { name: 'codex' } });
    const ownerReferences = [
      {
        apiVersion: parent.apiVersion,
        kind: parent.kind,
        name: 'parent',
        uid: parent.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
    await createDirectly(h.api, AgentRun, NS, 'child', RUN_SPEC, { ownerReferences, finalizers: ['example.com/keep'] });

    const outcome = await applyUpdate(
      decision({
        kind: 'AgentRun',
        verb: 'patch',
        metadata: { namespace: NS, name: 'child' },
        patch: { metadata: { labels: { team: 'a' } } },
      }),
      AgentRun,
      h.cluster,
    );

    expect(outcome.result).toBe('applied');
    const stored = await readDirectly(h.api, AgentRun, NS, 'child');
    expect(stored?.metadata.labels).toMatchObject({ team: 'a' });
    expect(stored?.metadata.ownerReferences).toEqual(ownerReferences);
    expect(stored?.metadata.finalizers).toEqual(['example.com/keep']);
  });
  it.each(['patch', 'update'] as const)('keeps the keys Jangar owns out of the labels and annotations of a %s', async (verb) => {
    const name = `unclaimed-${verb}`;
    const created = await createDirectly(h.api, AgentRun, NS, name, RUN_SPEC, { labels: { 'jangar.proompteng.ai/id': 'id-1' } });
    const labels = { team: 'a', 'jangar.proompteng.ai/orchestration-run': 'someone-elses', 'jangar.proompteng.ai/id': 'id-2' };
    const annotations = { 'jangar.proompteng.ai/traceparent': '00-forged-forged-01', 'jangar.proompteng.ai/sim-scenario': 'stuck' };
    const metadata = { namespace: NS, name, resourceVersion: created.metadata.resourceVersion };
    const request =
      verb === 'patch'
        ? decision({ kind: 'AgentRun', verb, metadata, patch: { metadata: { labels, annotations } } })
        : decision({ kind: 'AgentRun', verb, metadata: { ...metadata, labels, annotations }, spec: RUN_SPEC });

    expect(await applyUpdate(request, AgentRun, h.cluster)).toMatchObject({ result: 'applied' });

    const stored = (await readDirectly(h.api, AgentRun, NS, name))!.metadata;
    expect(stored.labels).toEqual({ team: 'a', 'jangar.proompteng.ai/id': 'id-1' });
    expect(stored.annotations).toMatchObject({ 'jangar.proompteng.ai/sim-scenario': 'stuck' });
    expect(stored.annotations).not.toHaveProperty(['jangar.proompteng.ai/traceparent']);
  });
});

describe('two deliveries of one update racing', () => {
  it('answers applied for both when the twin replaces the object first', async () => {
    await createDirectly(h.api, AgentRun, NS, 'raced', RUN_SPEC);
    const resourceVersion = (await readDirectly(h.api, AgentRun, NS, 'raced'))?.metadata.resourceVersion;
    const patch = decision({
      kind: 'AgentRun',
      verb: 'patch',
      metadata: { namespace: NS, name: 'raced', resourceVersion },
      patch: { metadata: { labels: { team: 'b' } } },
    });
    let twin: OutcomePayload | undefined;
    // The first delivery has read the object; before its replace lands, the twin applies the same patch.
    class TwinFirst extends Cluster {
      override async replace(kind: KindDefinition, body: StoredBody) {
        if (!twin) twin = await applyUpdate(patch, AgentRun, h.cluster);
        return super.replace(kind, body);
      }
    }

    const first = await applyUpdate(patch, AgentRun, new TwinFirst(h.api));

    expect(twin).toMatchObject({ result: 'applied' });
    expect(first).toMatchObject({ result: 'applied' });
    expect((await readDirectly(h.api, AgentRun, NS, 'raced'))?.metadata.labels).toMatchObject({ team: 'b' });
  });

  it('still answers a stale resourceVersion with conflict when another request changed the object', async () => {
    await createDirectly(h.api, AgentRun, NS, 'stale', RUN_SPEC);
    const resourceVersion = (await readDirectly(h.api, AgentRun, NS, 'stale'))?.metadata.resourceVersion;
    const change = (team: string) =>
      decision({
        kind: 'AgentRun',
        verb: 'patch',
        metadata: { namespace: NS, name: 'stale', resourceVersion },
        patch: { metadata: { labels: { team } } },
      });
    const other = change('other');
    let otherOutcome: OutcomePayload | undefined;
    class OtherFirst extends Cluster {
      override async replace(kind: KindDefinition, body: StoredBody) {
        if (!otherOutcome) otherOutcome = await applyUpdate(other, AgentRun, h.cluster);
        return super.replace(kind, body);
      }
    }

    const mine = await applyUpdate(change('mine'), AgentRun, new OtherFirst(h.api));

    expect(otherOutcome).toMatchObject({ result: 'applied' });
    expect(mine).toMatchObject({ result: 'rejected', error: { code: 'conflict', errors: [{ path: 'metadata.resourceVersion' }] } });
    expect((await readDirectly(h.api, AgentRun, NS, 'stale'))?.metadata.labels).toMatchObject({ team: 'other' });
  });
});

describe("an update of a run's runtime", () => {
  const TEMPORAL_SPEC = { ...RUN_SPEC, runtime: { type: 'temporal', config: { taskQueue: 'agents', workflowType: 'Run' } } };
  const bindingOf = async (name: string) =>
    JSON.parse((await readDirectly(h.api, AgentRun, NS, name))?.metadata.annotations?.['jangar.proompteng.ai/binding'] ?? 'null') as {
      provider: string;
      config: { workflowId?: string };
    } | null;
  const patchOf = (name: string, patch: Record<string, unknown>) =>
    decision({ kind: 'AgentRun', verb: 'patch', metadata: { namespace: NS, name }, patch });

  it('keeps the binding the run was created with while the runtime stays as it was', async () => {
    // A run bound before workflow ids ended in the run's id: its execution runs under this one.
    const binding = {
      provider: 'temporal',
      config: { namespace: 'default', taskQueue: 'agents', workflowType: 'Run', workflowId: `${NS}.kept` },
    };
    await createDirectly(h.api, AgentRun, NS, 'kept', TEMPORAL_SPEC, {
      labels: { 'jangar.proompteng.ai/id': 'id-kept' },
      annotations: { 'jangar.proompteng.ai/binding': JSON.stringify(binding) },
    });

    expect(await applyUpdate(patchOf('kept', { metadata: { labels: { team: 'a' } } }), AgentRun, h.cluster)).toMatchObject({
      result: 'applied',
    });

    expect(await bindingOf('kept')).toEqual(binding);
  });

  it('refuses to change the runtime of a run that has started', async () => {
    await createDirectly(h.api, AgentRun, NS, 'started', RUN_SPEC, {
      labels: { 'jangar.proompteng.ai/id': 'id-started' },
      annotations: { 'jangar.proompteng.ai/binding': JSON.stringify({ provider: 'job', config: {} }) },
    });
    await h.cluster.patchStatus(AgentRun, NS, 'started', { phase: 'Running' });

    expect(await applyUpdate(patchOf('started', { spec: { runtime: TEMPORAL_SPEC.runtime } }), AgentRun, h.cluster)).toMatchObject({
      result: 'rejected',
      error: { code: 'conflict', errors: [{ path: 'spec.runtime' }] },
    });
    expect(await bindingOf('started')).toEqual({ provider: 'job', config: {} });
  });

  it('leaves a run that started without a binding unbound, and refuses to change its runtime', async () => {
    // An orchestration's step: made by its controller, with no binding of Jangar's.
    await createDirectly(h.api, AgentRun, NS, 'step', RUN_SPEC, { labels: { 'jangar.proompteng.ai/id': 'id-step' } });
    await h.cluster.patchStatus(AgentRun, NS, 'step', { phase: 'Running' });

    expect(await applyUpdate(patchOf('step', { metadata: { labels: { team: 'a' } } }), AgentRun, h.cluster)).toMatchObject({
      result: 'applied',
    });
    expect(await bindingOf('step')).toBeNull();
    expect(await applyUpdate(patchOf('step', { spec: { runtime: TEMPORAL_SPEC.runtime } }), AgentRun, h.cluster)).toMatchObject({
      result: 'rejected',
      error: { code: 'conflict', errors: [{ path: 'spec.runtime' }] },
    });
    expect(await bindingOf('step')).toBeNull();
  });

  it('binds a run that has not started to its new runtime, under a workflow id of its own', async () => {
    await createDirectly(h.api, AgentRun, NS, 'waiting', RUN_SPEC, {
      labels: { 'jangar.proompteng.ai/id': 'id-waiting' },
      annotations: { 'jangar.proompteng.ai/binding': JSON.stringify({ provider: 'job', config: {} }) },
    });

    expect(await applyUpdate(patchOf('waiting', { spec: { runtime: TEMPORAL_SPEC.runtime } }), AgentRun, h.cluster)).toMatchObject({
      result: 'applied',
    });
    expect(await bindingOf('waiting')).toMatchObject({ provider: 'temporal', config: { workflowId: `${NS}.waiting.id-waiting` } });
  });
});

describe('a redelivered update that comes after later updates', () => {
  it('finds its own mark among the latest and changes nothing, where it used to apply itself on top of them', async () => {
    await createDirectly(h.api, AgentRun, NS, 'marked', RUN_SPEC);
    // U1 adds a label; the provisioner dies before its outcome goes out. U2 removes it.
    const u1 = decision({
      kind: 'AgentRun',
      verb: 'patch',
      metadata: { namespace: NS, name: 'marked' },
      patch: { metadata: { labels: { stage: 'one' } } },
    });
    const u2 = decision({
      kind: 'AgentRun',
      verb: 'patch',
      metadata: { namespace: NS, name: 'marked' },
      patch: { metadata: { labels: { stage: null } } },
    });
    expect(await applyUpdate(u1, AgentRun, h.cluster)).toMatchObject({ result: 'applied' });
    expect(await applyUpdate(u2, AgentRun, h.cluster)).toMatchObject({ result: 'applied' });
    const afterU2 = await readDirectly(h.api, AgentRun, NS, 'marked');

    expect(await applyUpdate(u1, AgentRun, h.cluster)).toMatchObject({ result: 'applied' });

    const now = await readDirectly(h.api, AgentRun, NS, 'marked');
    expect(now?.metadata.labels?.stage).toBeUndefined();
    expect(now?.metadata.resourceVersion).toBe(afterU2?.metadata.resourceVersion);
  });

  it('keeps the marks of the latest sixteen updates, newest first', async () => {
    await createDirectly(h.api, AgentRun, NS, 'many', RUN_SPEC);
    for (let i = 0; i < 18; i++) {
      const patch = decision({
        kind: 'AgentRun',
        verb: 'patch',
        metadata: { namespace: NS, name: 'many' },
        patch: { metadata: { labels: { n: String(i) } } },
      });
      await applyUpdate(patch, AgentRun, h.cluster);
    }
    const marks = (await readDirectly(h.api, AgentRun, NS, 'many'))?.metadata.annotations?.['jangar.proompteng.ai/last-request']?.split(
      ' ',
    );
    expect(marks).toHaveLength(16);
    expect(new Set(marks).size).toBe(16);
  });
});
