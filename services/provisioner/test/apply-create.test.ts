import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, AgentRun } from '@jangar/contracts';
import { createLogger } from '@jangar/service-kit';
import { applyCreate } from '../src/apply/create.js';
import { applyDelete } from '../src/apply/delete.js';
import { createDirectly, decision, deleteDirectly, MemoryTombstones, readDirectly, startHarness, type Harness } from './harness.js';

const NS = 'creates';
const RUN_SPEC = { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'work' } } };
const logger = createLogger('test', 'silent');
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.kd.close();
});

describe('applying a create', () => {
  it('answers a redelivery with the object the first attempt created, though a reference was deleted since', async () => {
    await createDirectly(h.api, Agent, NS, 'coder', { providerRef: { name: 'codex' } });
    const create = decision({ kind: 'AgentRun', verb: 'create', metadata: { namespace: NS, name: 'r1' }, spec: RUN_SPEC });
    const first = await applyCreate(create, AgentRun, h.cluster, new MemoryTombstones(), logger);
    expect(first).toMatchObject({ result: 'applied', created: true });
    // The provisioner dies before publishing that answer; the Agent is deleted meanwhile.
    await deleteDirectly(h.api, Agent, NS, 'coder');

    const redelivered = await applyCreate(create, AgentRun, h.cluster, new MemoryTombstones(), logger);

    const uid = (await readDirectly(h.api, AgentRun, NS, 'r1'))?.metadata.uid;
    expect(redelivered).toMatchObject({ result: 'applied', id: first.id, resource: { metadata: { name: 'r1', uid } } });
  });

  it('makes nothing when redelivered after a delete removed what its first attempt created, though its Agent is gone too', async () => {
    await createDirectly(h.api, Agent, NS, 'coder', { providerRef: { name: 'codex' } });
    const tombstones = new MemoryTombstones();
    const create = decision({ kind: 'AgentRun', verb: 'create', metadata: { namespace: NS, name: 'r-deleted' }, spec: RUN_SPEC });
    const first = await applyCreate(create, AgentRun, h.cluster, tombstones, logger);
    expect(first).toMatchObject({ result: 'applied', created: true });
    // The create's ack is lost to a crash; before it comes back, a client deletes the run.
    const remove = decision({ kind: 'AgentRun', verb: 'delete', metadata: { namespace: NS, name: 'r-deleted' } });
    expect(await applyDelete(remove, AgentRun, h.cluster, tombstones)).toMatchObject({ result: 'applied' });
    expect(await readDirectly(h.api, AgentRun, NS, 'r-deleted')).toBeUndefined();
    // Its Agent goes too: the redelivery's answer is still the run it made, not a missing reference.
    await deleteDirectly(h.api, Agent, NS, 'coder');

    const redelivered = await applyCreate(create, AgentRun, h.cluster, tombstones, logger);

    expect(redelivered).toMatchObject({ result: 'applied', id: first.id, resource: { metadata: { name: 'r-deleted' } } });
    expect(await readDirectly(h.api, AgentRun, NS, 'r-deleted')).toBeUndefined();
  });

  it('creates again for a new request under the same deliveryId, once the gateway has forgotten the first', async () => {
    await createDirectly(h.api, Agent, NS, 'coder', { providerRef: { name: 'codex' } });
    const tombstones = new MemoryTombstones();
    const spec = { kind: 'AgentRun', verb: 'create', metadata: { namespace: NS, name: 'r-reused' }, spec: RUN_SPEC } as const;
    await applyCreate(decision(spec, 'reused-id'), AgentRun, h.cluster, tombstones, logger);
    await applyDelete(
      decision({ kind: 'AgentRun', verb: 'delete', metadata: { namespace: NS, name: 'r-reused' } }),
      AgentRun,
      h.cluster,
      tombstones,
    );

    // Past the retention the same deliveryId is a new request: a new Jangar id, the same key.
    const again = await applyCreate(decision(spec, 'reused-id'), AgentRun, h.cluster, tombstones, logger);

    expect(again).toMatchObject({ result: 'applied', created: true });
    expect(await readDirectly(h.api, AgentRun, NS, 'r-reused')).toMatchObject({ metadata: { name: 'r-reused' } });
    await deleteDirectly(h.api, Agent, NS, 'coder');
  });

  it("takes back what a delivery made when the delete of another delivery's object ran in between, redelivered or not", async () => {
    await createDirectly(h.api, Agent, NS, 'coder', { providerRef: { name: 'codex' } });
    const tombstones = new MemoryTombstones();
    const create = decision({ kind: 'AgentRun', verb: 'create', metadata: { namespace: NS, name: 'r-raced' }, spec: RUN_SPEC });
    const first = await applyCreate(create, AgentRun, h.cluster, tombstones, logger);
    const remove = decision({ kind: 'AgentRun', verb: 'delete', metadata: { namespace: NS, name: 'r-raced' } });
    // The late delivery reads "no removal", then the client's delete runs, then the late delivery creates.
    let raced = false;
    const racing: Pick<MemoryTombstones, 'removalOf'> = {
      async removalOf(requestKey) {
        if (raced) return tombstones.removalOf(requestKey);
        raced = true;
        const before = await tombstones.removalOf(requestKey);
        await applyDelete(remove, AgentRun, h.cluster, tombstones);
        return before;
      },
    };

    // Not marked redelivered: a first delivery that waited in a replica's buffer past the ack wait
    // runs after a second one just as a redelivery does, and the provisioner cannot tell them apart.
    const late = await applyCreate(create, AgentRun, h.cluster, racing, logger);

    expect(late).toMatchObject({ result: 'applied', id: first.id, resource: { metadata: { name: 'r-raced' } } });
    expect(await readDirectly(h.api, AgentRun, NS, 'r-raced')).toBeUndefined();
    await deleteDirectly(h.api, Agent, NS, 'coder');
  });

  it('refuses a create whose reference does not exist with reference_not_found, naming the field', async () => {
    const create = decision({
      kind: 'AgentRun',
      verb: 'create',
      metadata: { namespace: NS, name: 'r2' },
      spec: { ...RUN_SPEC, agentRef: { name: 'nobody' } },
    });

    expect(await applyCreate(create, AgentRun, h.cluster, new MemoryTombstones(), logger)).toMatchObject({
      result: 'rejected',
      error: { code: 'reference_not_found', errors: [{ path: 'spec.agentRef.name' }] },
    });
    expect(await readDirectly(h.api, AgentRun, NS, 'r2')).toBeUndefined();
  });

  it("keeps the keys Jangar owns out of a create's labels and annotations, and the user's other jangar.proompteng.ai/ keys in", async () => {
    await createDirectly(h.api, Agent, NS, 'coder', { providerRef: { name: 'codex' } });
    const create = decision({
      kind: 'AgentRun',
      verb: 'create',
      metadata: {
        namespace: NS,
        name: 'claims-a-parent',
        labels: { team: 'a', 'jangar.proompteng.ai/orchestration-run': 'someone-elses', 'jangar.proompteng.ai/step': 'build' },
        annotations: {
          note: 'mine',
          'jangar.proompteng.ai/sim-scenario': 'stuck',
          'jangar.proompteng.ai/last-request': 'forged',
          'jangar.proompteng.ai/traceparent': '00-forged-forged-01',
          'jangar.proompteng.ai/requested-by': 'mallory',
        },
      },
      spec: RUN_SPEC,
    });

    expect(await applyCreate(create, AgentRun, h.cluster, new MemoryTombstones(), logger)).toMatchObject({ result: 'applied' });

    const { labels, annotations } = (await readDirectly(h.api, AgentRun, NS, 'claims-a-parent'))!.metadata;
    expect(labels).toMatchObject({ team: 'a' });
    expect(labels).not.toHaveProperty(['jangar.proompteng.ai/orchestration-run']);
    expect(labels).not.toHaveProperty(['jangar.proompteng.ai/step']);
    expect(annotations).toMatchObject({
      note: 'mine',
      'jangar.proompteng.ai/sim-scenario': 'stuck',
      'jangar.proompteng.ai/requested-by': 'alice',
    });
    expect(annotations).not.toHaveProperty(['jangar.proompteng.ai/last-request']);
    expect(annotations?.['jangar.proompteng.ai/traceparent']).not.toBe('00-forged-forged-01');
  });
});
