import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '@jangar/contracts';
import { applyDelete } from '../src/apply/delete.js';
import { createDirectly, decision, MemoryTombstones, readDirectly, startHarness, type Harness } from './harness.js';

const NS = 'deletes';
const AGENT_SPEC = { providerRef: { name: 'codex' } };
let h: Harness;

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
});
