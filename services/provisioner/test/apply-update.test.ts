import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, AgentRun } from '@jangar/contracts';
import { applyUpdate } from '../src/apply/update.js';
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
});
