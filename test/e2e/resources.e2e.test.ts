import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS, phasesOf, type KindDefinition } from '@jangar/contracts';
import { REFERENCES_OF, SAMPLE_PATCHES, SAMPLE_SPECS } from '../../packages/contracts/test/fixtures/sample-specs.js';
import { TEAM_TOKENS } from '../support/fixtures.js';
import { api, eventually, kubeConfigOf, testStack } from '../support/stack.js';

const NS = 'team-a';
let stack: Awaited<ReturnType<typeof testStack>>;
let alice: ReturnType<typeof api>;
let bob: ReturnType<typeof api>;
let kube: CustomObjectsApi;

const sampleOf = (kind: KindDefinition) => structuredClone(SAMPLE_SPECS[kind.kind as keyof typeof SAMPLE_SPECS]) as Record<string, unknown>;
const patchOf = (kind: KindDefinition) => SAMPLE_PATCHES[kind.kind as keyof typeof SAMPLE_PATCHES] as Record<string, unknown>;
const pathOf = (kind: KindDefinition, name: string) => `/v1/${kind.route}/${NS}/${name}`;

/** Creates `name` of `kind` in team-a through the API; fails unless it answers 201. */
async function create(kind: KindDefinition, name: string, labels: Record<string, string> = {}, spec = sampleOf(kind)) {
  const res = await alice.post(`/v1/${kind.route}`, {
    deliveryId: `create-${kind.token}-${name}`,
    metadata: { namespace: NS, name, labels },
    spec,
  });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

/** A run is written by the simulator until it settles; updates in these tests start from a settled one. */
async function settled(kind: KindDefinition, name: string) {
  return eventually(`${kind.kind} ${name} to settle`, async () => {
    const res = await alice.get(pathOf(kind, name));
    const phase = res.json?.status?.phase as string | undefined;
    return !kind.isRun || phase === 'Succeeded' ? res.json : undefined;
  });
}

beforeAll(async () => {
  stack = await testStack({ env: { JANGAR_API_TOKENS: JSON.stringify(TEAM_TOKENS) } });
  alice = api(stack.gatewayUrl, 'alice-token-123');
  bob = api(stack.gatewayUrl, 'bob-token-12345');
  kube = kubeConfigOf(stack).makeApiClient(CustomObjectsApi);
  // Everything the samples refer to, in dependency order.
  const needed = new Map(
    Object.values(REFERENCES_OF)
      .flat()
      .map((r) => [`${r.kind}/${r.name}`, r]),
  );
  for (const kindName of ['AgentProvider', 'Agent', 'Orchestration', 'Tool', 'Signal']) {
    for (const ref of needed.values()) {
      if (ref.kind !== kindName) continue;
      const kind = KINDS.find((k) => k.kind === ref.kind)!;
      await create(kind, ref.name);
    }
  }
});

afterAll(async () => {
  await stack?.close();
});

describe.each(KINDS.map((k) => [k.kind, k] as const))('%s through the API', (_name, kind) => {
  const base = kind.token.slice(0, 20);

  it('is created, then read by namespace and name and by id', async () => {
    const created = await create(kind, `${base}-read`, { suite: 'read' });
    const byName = await alice.get(pathOf(kind, `${base}-read`));
    expect(byName.status).toBe(200);
    expect(byName.json).toMatchObject({
      id: created.id,
      kind: kind.kind,
      metadata: { name: `${base}-read`, namespace: NS, generation: 1 },
    });
    expect(byName.json.spec).toEqual(created.spec);
    const byId = await alice.get(`/v1/${kind.route}/${created.id}`);
    expect(byId.status).toBe(200);
    expect(byId.json.metadata.uid).toBe(created.metadata.uid);
  });

  it('is invisible to a token of another namespace, and unknown names are 404 problems', async () => {
    await create(kind, `${base}-hidden`);
    const other = await bob.get(`/v1/${kind.route}/${NS}/${base}-hidden`);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect((await alice.get(pathOf(kind, `${base}-missing`))).json).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('lists newest first, filtered by label selector, in stable pages', async () => {
    for (const i of [0, 1, 2])
      await create(kind, `${base}-list-${i}`, { suite: `list-${kind.token}`, idx: String(i), ...(i === 1 ? { odd: 'yes' } : {}) });
    const all = await alice.get(`/v1/${kind.route}?namespace=${NS}&labelSelector=${encodeURIComponent(`suite=list-${kind.token}`)}`);
    expect(all.status).toBe(200);
    const names = all.json.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(new Set(names)).toEqual(new Set([0, 1, 2].map((i) => `${base}-list-${i}`)));
    const stamps = all.json.items.map((i: { metadata: { creationTimestamp: string } }) => i.metadata.creationTimestamp);
    expect([...stamps].sort().reverse()).toEqual(stamps);

    const odd = await alice.get(`/v1/${kind.route}?labelSelector=${encodeURIComponent(`suite=list-${kind.token},odd`)}`);
    expect(odd.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([`${base}-list-1`]);
    const notin = await alice.get(`/v1/${kind.route}?labelSelector=${encodeURIComponent(`suite=list-${kind.token},idx notin (0,2)`)}`);
    expect(notin.json.items).toHaveLength(1);

    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await alice.get(
        `/v1/${kind.route}?limit=2&labelSelector=${encodeURIComponent(`suite=list-${kind.token}`)}${token ? `&continue=${token}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.json.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      token = page.json.continue;
    } while (token);
    expect(paged).toEqual(names);

    const bad = await alice.get(`/v1/${kind.route}?labelSelector=${encodeURIComponent('suite in (a')}`);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'invalid_label_selector', errors: [{ path: 'query.labelSelector' }] });
  });

  it('filters by phase when its kind has phases, and names a phase it does not have', async () => {
    const phases = phasesOf(kind);
    const wrong = await alice.get(`/v1/${kind.route}?phase=NoSuchPhase`);
    expect(wrong.status).toBe(400);
    expect(wrong.json.errors[0].path).toBe('query.phase');
    if (phases.length === 0) return;
    // An object in a known phase: a run as the simulator settles it, any other as its controller
    // would set it, through the status subresource.
    const name = `${base}-phase`;
    await create(kind, name, { suite: `phase-${kind.token}` });
    const phase = kind.isRun ? 'Succeeded' : phases[0]!;
    if (kind.isRun) await settled(kind, name);
    else
      await kube.patchNamespacedCustomObjectStatus(
        { group: kind.group, version: kind.version, plural: kind.plural, namespace: NS, name, body: { status: { phase } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const listed = async (wanted: readonly string[]) => {
      const selector = encodeURIComponent(`suite=phase-${kind.token}`);
      const res = await alice.get(`/v1/${kind.route}?phase=${wanted.join(',')}&labelSelector=${selector}`);
      expect(res.status, res.text).toBe(200);
      return res.json.items.map((i: { metadata: { name: string } }) => i.metadata.name) as string[];
    };
    await eventually(`${name} to be listed in phase ${phase}`, async () => ((await listed([phase])).includes(name) ? true : undefined));
    expect(await listed([phase])).toEqual([name]);
    expect(await listed(phases)).toEqual([name]);
    // Any other phase leaves it out (a kind with a single phase has no other to ask for).
    const others = phases.filter((p) => p !== phase);
    if (others.length > 0) expect(await listed(others)).toEqual([]);
  });

  it('applies a JSON merge patch; a spec change bumps the generation, a label change does not', async () => {
    await create(kind, `${base}-patch`);
    const before = await settled(kind, `${base}-patch`);
    const labelled = await alice.patch(pathOf(kind, `${base}-patch`), { metadata: { labels: { touched: 'yes' } } }, `label-${kind.token}`);
    expect(labelled.status, labelled.text).toBe(200);
    expect(labelled.json.metadata.labels.touched).toBe('yes');
    expect(labelled.json.metadata.generation).toBe(before.metadata.generation);
    expect(labelled.json.metadata.labels['jangar.proompteng.ai/id']).toBe(before.id);

    const patched = await alice.patch(pathOf(kind, `${base}-patch`), { spec: patchOf(kind) }, `patch-${kind.token}`);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.metadata.generation).toBe(before.metadata.generation + 1);
    expect(patched.json.spec).toMatchObject(patchOf(kind));

    const replayed = await alice.patch(pathOf(kind, `${base}-patch`), { spec: patchOf(kind) }, `patch-${kind.token}`);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.text).toBe(patched.text);
  });

  it('replaces with PUT and refuses a stale resourceVersion with 409', async () => {
    await create(kind, `${base}-put`);
    const current = await settled(kind, `${base}-put`);
    const body = (rv: string, deliveryId: string) => ({
      deliveryId,
      metadata: { labels: { replaced: 'yes' }, resourceVersion: rv },
      spec: { ...sampleOf(kind), ...patchOf(kind) },
    });
    const put = await alice.put(pathOf(kind, `${base}-put`), body(current.metadata.resourceVersion, `put-${kind.token}`));
    expect(put.status, put.text).toBe(200);
    expect(put.json.metadata.labels).toMatchObject({ replaced: 'yes', 'jangar.proompteng.ai/id': current.id });
    expect(put.json.metadata.generation).toBe(current.metadata.generation + 1);

    const stale = await alice.put(pathOf(kind, `${base}-put`), body(current.metadata.resourceVersion, `put-stale-${kind.token}`));
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: 'conflict', errors: [{ path: 'metadata.resourceVersion' }] });
  });

  it('deletes, and is gone afterwards', async () => {
    await create(kind, `${base}-del`);
    await settled(kind, `${base}-del`);
    const deleted = await alice.delete(pathOf(kind, `${base}-del`), `delete-${kind.token}`);
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json.metadata.name).toBe(`${base}-del`);
    expect((await alice.get(pathOf(kind, `${base}-del`))).status).toBe(404);
    const again = await alice.delete(pathOf(kind, `${base}-del`), `delete-${kind.token}`);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await alice.delete(pathOf(kind, `${base}-del`), `delete-again-${kind.token}`)).status).toBe(404);
  });
});

describe('updates and deletes across kinds', () => {
  const Agent = KINDS.find((k) => k.kind === 'Agent')!;
  const AgentRun = KINDS.find((k) => k.kind === 'AgentRun')!;
  const Orchestration = KINDS.find((k) => k.kind === 'Orchestration')!;

  it('answers 400 naming the field when a patch would make the spec invalid, and changes nothing', async () => {
    await create(Agent, 'bad-patch');
    const before = await alice.get(pathOf(Agent, 'bad-patch'));
    const res = await alice.patch(pathOf(Agent, 'bad-patch'), { spec: { providerRef: null } }, 'bad-patch-1');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'validation_failed', errors: [{ path: 'spec.providerRef' }] });
    expect((await alice.get(pathOf(Agent, 'bad-patch'))).json.metadata.resourceVersion).toBe(before.json.metadata.resourceVersion);
  });

  it('answers 422 naming the reference when an update points at an Agent that does not exist', async () => {
    const res = await alice.post('/v1/orchestrations', {
      deliveryId: 'orch-unknown-agent',
      metadata: { namespace: NS, name: 'orch-unknown' },
      spec: { steps: [{ name: 'one', kind: 'AgentRun', agentRef: { name: 'nobody' } }] },
    });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ code: 'reference_not_found', errors: [{ path: 'spec.steps[0].agentRef.name' }] });
    await create(Orchestration, 'orch-ok');
    const patched = await alice.patch(
      pathOf(Orchestration, 'orch-ok'),
      { spec: { steps: [{ name: 'one', kind: 'AgentRun', agentRef: { name: 'nobody' } }] } },
      'orch-ok-1',
    );
    expect(patched.status).toBe(422);
    expect(patched.json.errors[0].path).toBe('spec.steps[0].agentRef.name');
  });

  it("answers 400 naming the config field when the provider refuses a run's runtime config", async () => {
    const res = await alice.post('/v1/agent-runs', {
      deliveryId: 'bad-runtime-config',
      metadata: { namespace: NS },
      spec: { ...sampleOf(AgentRun), runtime: { type: 'job', config: { backoffLimit: 'three' } } },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'validation_failed', errors: [{ path: 'spec.runtime.config.backoffLimit' }] });
  });

  it('does not let a token change or delete outside its namespaces', async () => {
    await create(Agent, 'guarded');
    expect((await bob.patch(pathOf(Agent, 'guarded'), { metadata: { labels: { x: 'y' } } }, 'bob-1')).status).toBe(403);
    expect((await bob.delete(pathOf(Agent, 'guarded'), 'bob-2')).status).toBe(403);
  });

  it('cancels a running run before deleting it', async () => {
    const res = await alice.post('/v1/agent-runs', {
      deliveryId: 'run-to-cancel',
      metadata: { namespace: NS, name: 'run-to-cancel', annotations: { 'jangar.proompteng.ai/sim-scenario': 'stuck' } },
      spec: sampleOf(AgentRun),
    });
    expect(res.status, res.text).toBe(201);
    const id = res.json.id as string;
    await eventually('the run to be Running', async () =>
      (await alice.get(`/v1/runs/${id}`)).json?.phase === 'Running' ? true : undefined,
    );
    const deleted = await alice.delete(pathOf(AgentRun, 'run-to-cancel'), 'cancel-1');
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json.status).toMatchObject({ phase: 'Cancelled' });
    const run = await eventually('the run to show Cancelled', async () => {
      const r = (await alice.get(`/v1/runs/${id}`)).json;
      return r?.phase === 'Cancelled' ? r : undefined;
    });
    expect(run.conditions).toContainEqual(expect.objectContaining({ type: 'InProgress', status: 'False', reason: 'Cancelled' }));
  });

  it('honours finalizers: the delete answers 202 and the object stays, marked, until they are removed', async () => {
    await create(Agent, 'finalized');
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const coords = { group: Agent.group, version: Agent.version, plural: Agent.plural, namespace: NS, name: 'finalized' };
    await kube.patchNamespacedCustomObject({ ...coords, body: { metadata: { finalizers: ['example.com/hold'] } } }, mergePatch);
    const deleted = await alice.delete(pathOf(Agent, 'finalized'), 'finalized-1');
    expect(deleted.status, deleted.text).toBe(202);
    expect(deleted.json.metadata.deletionTimestamp).toBeDefined();
    const held = await alice.get(pathOf(Agent, 'finalized'));
    expect(held.json.metadata.deletionTimestamp).toBeDefined();
    await kube.patchNamespacedCustomObject({ ...coords, body: { metadata: { finalizers: null } } }, mergePatch);
    await eventually('the Agent to be gone', async () => ((await alice.get(pathOf(Agent, 'finalized'))).status === 404 ? true : undefined));
  });

  it('refuses a delete with a stale resourceVersion precondition', async () => {
    await create(Agent, 'precondition');
    const current = (await alice.get(pathOf(Agent, 'precondition'))).json;
    await alice.patch(pathOf(Agent, 'precondition'), { metadata: { labels: { v: '2' } } }, 'precondition-1');
    const res = await alice.delete(
      `${pathOf(Agent, 'precondition')}?resourceVersion=${current.metadata.resourceVersion}`,
      'precondition-2',
    );
    expect(res.status).toBe(409);
    expect((await alice.get(pathOf(Agent, 'precondition'))).status).toBe(200);
  });
});
