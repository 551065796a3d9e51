import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, AgentRun, apiVersionOf, JANGAR_ANNOTATIONS } from '@jangar/contracts';
import { TransientError } from '@jangar/service-kit';
import type { Cluster } from '../src/cluster.js';
import { applyDelete } from '../src/apply/delete.js';
import { createDirectly, decision, deleteDirectly, MemoryTombstones, readDirectly, startHarness, type Harness } from './harness.js';

const NS = 'deletes';
const AGENT_SPEC = { providerRef: { name: 'codex' } };
const RUN_SPEC = { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'work' } } };
let h: Harness;

/** The cluster with some of its calls replaced: a failure, a race, a count. */
const clusterWith = (calls: Partial<Cluster>): Cluster => Object.assign(Object.create(h.cluster) as Cluster, calls);

/** A call that fails as the provisioner dying in it would leave things. */
const dies = async (): Promise<never> => {
  throw new TransientError('the provisioner died');
};

/** alice's delete of `name` of `kind`, preconditioned on `resourceVersion` when one is given. */
const deleteOf = (kind: string, name: string, resourceVersion?: string) =>
  decision({ kind, verb: 'delete', metadata: { namespace: NS, name, ...(resourceVersion === undefined ? {} : { resourceVersion }) } });

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.kd.close();
});

describe('applying a delete', () => {
  it('answers a redelivered delete from its tombstone and leaves a recreated object alone', async () => {
    const tombstones = new MemoryTombstones();
    const first = await createDirectly(h.api, Agent, NS, 'b', AGENT_SPEC);
    const d1 = decision({ kind: 'Agent', verb: 'delete', metadata: { namespace: NS, name: 'b' } });

    const answer = await applyDelete(d1, Agent, h.cluster, tombstones);
    expect(answer).toMatchObject({ result: 'applied', deletion: 'completed', resource: { metadata: { uid: first.metadata.uid } } });
    // The provisioner dies before publishing that answer; another request creates a new `b`.
    const second = await createDirectly(h.api, Agent, NS, 'b', AGENT_SPEC);
    expect(second.metadata.uid).not.toBe(first.metadata.uid);

    const redelivered = await applyDelete(d1, Agent, h.cluster, tombstones);

    expect(redelivered).toEqual(answer);
    expect((await readDirectly(h.api, Agent, NS, 'b'))?.metadata.uid).toBe(second.metadata.uid);
  });

  it('deletes the object of that name again for a deliveryId the gateway forgot, which comes back as another request', async () => {
    const tombstones = new MemoryTombstones();
    await createDirectly(h.api, Agent, NS, 'reused', AGENT_SPEC);
    const request = { kind: 'Agent', verb: 'delete' as const, metadata: { namespace: NS, name: 'reused' } };
    const first = decision(request, 'delete-reused');
    expect(await applyDelete(first, Agent, h.cluster, tombstones)).toMatchObject({ result: 'applied', deletion: 'completed' });
    const second = await createDirectly(h.api, Agent, NS, 'reused', AGENT_SPEC);

    // Days later, past the gateway's retention: the same deliveryId is a new request, with an id of its own.
    const again = decision(request, 'delete-reused');
    expect(again.requestKey).toBe(first.requestKey);
    const answer = await applyDelete(again, Agent, h.cluster, tombstones);

    expect(answer).toMatchObject({ result: 'applied', deletion: 'completed', resource: { metadata: { uid: second.metadata.uid } } });
    expect(await readDirectly(h.api, Agent, NS, 'reused')).toBeUndefined();
  });

  it('answers a redelivered delete that finds the object gone from its tombstone, and another request with not_found', async () => {
    const tombstones = new MemoryTombstones();
    await createDirectly(h.api, Agent, NS, 'c', AGENT_SPEC);
    const d1 = decision({ kind: 'Agent', verb: 'delete', metadata: { namespace: NS, name: 'c' } });
    const answer = await applyDelete(d1, Agent, h.cluster, tombstones);

    expect(await applyDelete(d1, Agent, h.cluster, tombstones)).toEqual(answer);
    const other = await applyDelete(
      decision({ kind: 'Agent', verb: 'delete', metadata: { namespace: NS, name: 'c' } }),
      Agent,
      h.cluster,
      tombstones,
    );
    expect(other).toMatchObject({ result: 'rejected', error: { code: 'not_found' } });
  });

  it("carries on a redelivered delete of a running run after its own cancel, instead of holding the client's resourceVersion against it", async () => {
    const tombstones = new MemoryTombstones();
    const run = await createDirectly(h.api, AgentRun, NS, 'running', RUN_SPEC);
    const d1 = deleteOf('AgentRun', 'running', run.metadata.resourceVersion);
    // The first attempt cancels the run (a new resourceVersion), then dies before the delete.
    await expect(applyDelete(d1, AgentRun, clusterWith({ delete: dies }), tombstones)).rejects.toBeInstanceOf(TransientError);
    const cancelled = await readDirectly(h.api, AgentRun, NS, 'running');
    expect(cancelled?.status).toMatchObject({ phase: 'Cancelled' });
    expect(cancelled?.metadata.resourceVersion).not.toBe(run.metadata.resourceVersion);

    const redelivered = await applyDelete(d1, AgentRun, h.cluster, tombstones);

    expect(redelivered).toMatchObject({ result: 'applied', deletion: 'completed', resource: { status: { phase: 'Cancelled' } } });
    expect(await readDirectly(h.api, AgentRun, NS, 'running')).toBeUndefined();
  });

  it('still refuses a delete whose resourceVersion is stale before anything was done', async () => {
    const tombstones = new MemoryTombstones();
    const run = await createDirectly(h.api, AgentRun, NS, 'stale', RUN_SPEC);
    const d1 = decision({
      kind: 'AgentRun',
      verb: 'delete',
      metadata: { namespace: NS, name: 'stale', resourceVersion: `${run.metadata.resourceVersion}0` },
    });

    expect(await applyDelete(d1, AgentRun, h.cluster, tombstones)).toMatchObject({ result: 'rejected', error: { code: 'conflict' } });
    expect((await readDirectly(h.api, AgentRun, NS, 'stale'))?.status).toBeUndefined();
  });

  it('keeps refusing, and keeps the object, when a delete the API server refused as stale is delivered again', async () => {
    const tombstones = new MemoryTombstones();
    const agent = await createDirectly(h.api, Agent, NS, 'guarded', AGENT_SPEC);
    const d1 = deleteOf('Agent', 'guarded', agent.metadata.resourceVersion);
    // Another writer changes the Agent between this delete's read and its call.
    const overtaken = clusterWith({
      delete: async (...args: Parameters<Cluster['delete']>) => {
        const now = (await readDirectly(h.api, Agent, NS, 'guarded'))!;
        const body = { ...now, apiVersion: apiVersionOf(Agent), kind: 'Agent', metadata: { ...now.metadata, labels: { team: 'b' } } };
        await h.api.replaceNamespacedCustomObject({
          group: Agent.group,
          version: Agent.version,
          plural: Agent.plural,
          namespace: NS,
          name: 'guarded',
          body,
        });
        return h.cluster.delete(...args);
      },
    });
    const answer = await applyDelete(d1, Agent, overtaken, tombstones);
    expect(answer).toMatchObject({ result: 'rejected', error: { code: 'conflict' } });

    // Its outcome's publish failed, say: the same request comes again.
    expect(await applyDelete(d1, Agent, h.cluster, tombstones)).toMatchObject({ result: 'rejected', error: { code: 'conflict' } });
    expect((await readDirectly(h.api, Agent, NS, 'guarded'))?.metadata.labels).toEqual({ team: 'b' });
  });

  it("removes a cancelled run's workload when delivered again after the removal failed", async () => {
    const tombstones = new MemoryTombstones();
    const job = { apiVersion: 'batch/v1', kind: 'Job', name: 'working', namespace: NS };
    await createDirectly(h.api, AgentRun, NS, 'working', RUN_SPEC, {
      annotations: { [JANGAR_ANNOTATIONS.binding]: JSON.stringify({ provider: 'job', resource: job, config: {} }) },
    });
    const d1 = decision({ kind: 'AgentRun', verb: 'delete', metadata: { namespace: NS, name: 'working' } });
    const removals: unknown[] = [];
    const flaky = clusterWith({
      deleteProviderResource: async (ref: unknown) => {
        removals.push(ref);
        if (removals.length === 1) throw new TransientError('the API server did not answer');
      },
    });
    await expect(applyDelete(d1, AgentRun, flaky, tombstones)).rejects.toBeInstanceOf(TransientError);
    expect((await readDirectly(h.api, AgentRun, NS, 'working'))?.status).toMatchObject({ phase: 'Cancelled' });

    const redelivered = await applyDelete(d1, AgentRun, flaky, tombstones);

    expect(redelivered).toMatchObject({ result: 'applied', deletion: 'completed' });
    expect(removals).toEqual([job, job]);
    expect(await readDirectly(h.api, AgentRun, NS, 'working')).toBeUndefined();
  });

  it("holds the client's resourceVersion against a run that ended on its own after the first attempt began its cancel", async () => {
    const tombstones = new MemoryTombstones();
    const run = await createDirectly(h.api, AgentRun, NS, 'finishing', RUN_SPEC);
    const d1 = deleteOf('AgentRun', 'finishing', run.metadata.resourceVersion);
    // The first attempt records that it is cancelling, then dies before its cancel lands.
    await expect(applyDelete(d1, AgentRun, clusterWith({ patchStatus: dies }), tombstones)).rejects.toBeInstanceOf(TransientError);
    await h.cluster.patchStatus(AgentRun, NS, 'finishing', { phase: 'Succeeded' });

    expect(await applyDelete(d1, AgentRun, h.cluster, tombstones)).toMatchObject({ result: 'rejected', error: { code: 'conflict' } });
    expect((await readDirectly(h.api, AgentRun, NS, 'finishing'))?.status).toMatchObject({ phase: 'Succeeded' });
  });

  it('answers a redelivered delete from its tombstone when the run vanished while it was being cancelled', async () => {
    const tombstones = new MemoryTombstones();
    await createDirectly(h.api, AgentRun, NS, 'vanishing', RUN_SPEC);
    const d1 = decision({ kind: 'AgentRun', verb: 'delete', metadata: { namespace: NS, name: 'vanishing' } });
    // Something else deletes the run between this delete's read and its cancel.
    const racing = clusterWith({
      patchStatus: async () => {
        await deleteDirectly(h.api, AgentRun, NS, 'vanishing');
        return undefined;
      },
    });
    const answer = await applyDelete(d1, AgentRun, racing, tombstones);
    expect(answer).toMatchObject({ result: 'applied', deletion: 'completed' });

    expect(await applyDelete(d1, AgentRun, h.cluster, tombstones)).toEqual(answer);
  });
});
