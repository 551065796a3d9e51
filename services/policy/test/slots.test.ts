import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRun, JANGAR_LABELS, type KubeObject, type OutcomeMessage, type RunStatusMessage } from '@jangar/contracts';
import { kubeconfigFor, startKubeDev, type KubeDev } from '@jangar/kube-dev';
import { POLICY_DATABASE } from '../src/database.js';
import { reconcileSlots, releaseEndedRun, settleCreated, slotRunIsOver, UNCREATED_SLOT_MAX_MS } from '../src/slots/release.js';
import { SlotStore, type HeldSlot } from '../src/slots/store.js';
import { readCurrentFrom } from '../src/subject.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

const NS = 'slots';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let scratch: ScratchDatabase;
let slots: SlotStore;
let kd: KubeDev;
let api: CustomObjectsApi;

beforeAll(async () => {
  scratch = await scratchDatabase('slots', POLICY_DATABASE);
  slots = new SlotStore(scratch.db);
  kd = await startKubeDev({ simulate: false });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(kd.url));
  api = kc.makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await kd?.close();
  await scratch?.stop();
});

/** Admits run `name` with Jangar id `id` under request key `key` (its `attempt`), with no limits. */
const admit = (key: string, id: string, name: string, attempt = 1) =>
  slots.admit({ requestKey: key, attempt, runId: id, kind: 'AgentRun', namespace: NS, name, agent: 'coder' }, { limits: {} });

/** Whether the slot taken by `key` is still held. */
const holds = async (key: string) =>
  (await scratch.db.query<{ held: boolean }>('select released_at is null as held from policy.run_slots where request_key = ?', [key]))[0]
    ?.held;

const ended = (id: string, name: string): RunStatusMessage =>
  ({
    occurredAt: new Date().toISOString(),
    payload: { run: { id, type: 'AgentRun', namespace: NS, name, phase: 'Succeeded' } },
  }) as RunStatusMessage;

const outcome = (requestKey: string, result: 'applied' | 'rejected', kind = 'AgentRun', attempt = 1) =>
  ({ requestKey, attempt, payload: { result, kind } }) as OutcomeMessage;

/** Creates AgentRun `name` carrying Jangar id `id`, in `phase` when one is given. */
async function createRun(name: string, id: string, phase?: string) {
  const target = { group: AgentRun.group, version: AgentRun.version, plural: AgentRun.plural, namespace: NS };
  await api.createNamespacedCustomObject({
    ...target,
    body: {
      apiVersion: `${AgentRun.group}/${AgentRun.version}`,
      kind: 'AgentRun',
      metadata: { name, namespace: NS, labels: { [JANGAR_LABELS.id]: id } },
      spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'x' } } },
    },
  });
  if (phase) await api.patchNamespacedCustomObjectStatus({ ...target, name, body: { status: { phase } } }, mergePatch);
}

describe('releasing a slot', () => {
  it("frees an ended run's slot by its id, and not the slot of a newer run under the same name", async () => {
    await admit('k-old', 'id-old', 'same-name');
    await admit('k-new', 'id-new', 'same-name');
    // The old run's late "ended" message comes after the name was taken again.
    expect(await releaseEndedRun(slots, ended('id-old', 'same-name'))).toBe(NS);
    expect([await holds('k-old'), await holds('k-new')]).toEqual([false, true]);
  });

  it('frees the slot of a create rejected after all, and keeps the slot of an applied one, marking it created', async () => {
    await admit('k-rejected', 'id-rejected', 'rejected');
    await admit('k-applied', 'id-applied', 'applied');
    expect(await settleCreated(slots, outcome('k-rejected', 'rejected'))).toBe(NS);
    expect(await settleCreated(slots, outcome('k-applied', 'applied'))).toBeUndefined();
    // An Agent's create takes no slot: its outcome changes nothing, even under a slot's request key.
    expect(await settleCreated(slots, outcome('k-applied', 'rejected', 'Agent'))).toBeUndefined();
    expect([await holds('k-rejected'), await holds('k-applied')]).toEqual([false, true]);
    const held = await slots.heldSince(-60_000);
    expect(held.find((h) => h.requestKey === 'k-applied')).toMatchObject({ runId: 'id-applied', created: true });
  });
});

describe('a create the provisioner refused', () => {
  it('gives back its Budget charge, keeps its start in the rate window, and still keeps a late copy of it from a slot', async () => {
    const ns = 'refusals';
    const policy = {
      limits: {},
      budgets: [{ key: `Budget ${ns}/one`, limit: 1, periodMs: 3_600_000 }],
      rates: { namespace: { limit: 2, periodMs: 3_600_000 } },
    };
    const run = (key: string, attempt = 1) =>
      slots.admit({ requestKey: key, attempt, runId: `id-${key}`, kind: 'AgentRun', namespace: ns, name: key, agent: 'coder' }, policy);
    expect(await run('k-typo')).toMatchObject({ refusals: [], rateRefusals: [], spent: [] });
    // The provisioner finds no Agent of that name: the run never starts.
    expect(await settleCreated(slots, outcome('k-typo', 'rejected'))).toBe(ns);

    expect(await slots.runsCharged([{ key: `Budget ${ns}/one`, periodMs: 3_600_000 }])).toEqual(new Map([[`Budget ${ns}/one`, 0]]));
    expect(await run('k-fixed')).toMatchObject({ refusals: [], rateRefusals: [], spent: [] });
    // Both admissions count in the window: a loop of refused creates is throttled as any other.
    expect(await run('k-third')).toMatchObject({ rateRefusals: [{ scope: 'namespace', started: 2, limit: 2 }] });
    // A late copy of the refused attempt takes no slot and charges nothing.
    expect(await run('k-typo')).toMatchObject({ charged: [] });
    expect(await holds('k-typo')).toBe(false);
  });
});

describe('a retried request', () => {
  it('keeps the slot its retry took when the refusal of its earlier attempt is handled late', async () => {
    // Attempt 1 was refused 429 without a slot; the client's retry, attempt 2, was admitted.
    await admit('k-retried', 'id-retried', 'retried', 2);
    // Attempt 1's refusal reaches the outcomes consumer only now (its replica was killed holding it).
    expect(await settleCreated(slots, outcome('k-retried', 'rejected', 'AgentRun', 1))).toBeUndefined();
    expect(await holds('k-retried')).toBe(true);
    // Attempt 2's own outcome still settles it.
    expect(await settleCreated(slots, outcome('k-retried', 'rejected', 'AgentRun', 2))).toBe(NS);
    expect(await holds('k-retried')).toBe(false);
  });
});

describe('a late copy of an admitted attempt', () => {
  it("takes no slot once that attempt's slot was released, while a later attempt takes it again", async () => {
    await admit('k-late', 'id-late', 'late');
    // Its create was rejected after all (the provisioner found no Agent): the slot is free.
    await settleCreated(slots, outcome('k-late', 'rejected'));
    // A copy of attempt 1, decided again by a replica that read no kept decision, is admitted on no slot.
    expect(await admit('k-late', 'id-late', 'late')).toMatchObject({ refusals: [], charged: [] });
    expect(await holds('k-late')).toBe(false);
    expect(await admit('k-late', 'id-late', 'late', 2)).toMatchObject({ refusals: [] });
    expect(await holds('k-late')).toBe(true);
  });
});

describe('reconciling slots with the cluster', () => {
  it('keeps the slot of an admitted run not created yet, and frees those of runs created and since deleted or ended', async () => {
    await admit('k-backlog', 'id-backlog', 'backlog'); // admitted; the provisioner has not got to it
    await admit('k-deleted', 'id-deleted', 'deleted'); // created, then deleted behind Jangar's back
    await settleCreated(slots, outcome('k-deleted', 'applied'));
    await admit('k-ended', 'id-ended', 'ended'); // created and ended, its status message lost
    await settleCreated(slots, outcome('k-ended', 'applied'));
    await createRun('ended', 'id-ended', 'Failed');
    await admit('k-running', 'id-running', 'running');
    await settleCreated(slots, outcome('k-running', 'applied'));
    await createRun('running', 'id-running', 'Running');

    // Every slot counts as old enough to check (the interval is the reconciler's, not under test).
    const released = await reconcileSlots(slots, readCurrentFrom(api), { olderThanMs: -60_000 });

    expect(released).toContain(NS);
    expect({
      backlog: await holds('k-backlog'),
      deleted: await holds('k-deleted'),
      ended: await holds('k-ended'),
      running: await holds('k-running'),
    }).toEqual({ backlog: true, deleted: false, ended: false, running: true });
  });
});

describe('reconciling more held slots than one pass checks', () => {
  it('checks every held slot in turn, a page a pass, however many long-running runs hold the first ones', async () => {
    // Two runs that go on running, then one deleted behind Jangar's back, admitted last.
    for (const name of ['z-long-a', 'z-long-b']) {
      await admit(`${name}-key`, `${name}-id`, name);
      await settleCreated(slots, outcome(`${name}-key`, 'applied'));
      await createRun(name, `${name}-id`, 'Running');
    }
    await admit('z-z-gone-key', 'z-z-gone-id', 'z-z-gone');
    await settleCreated(slots, outcome('z-z-gone-key', 'applied'));
    const heldNow = (await slots.heldSince(-60_000, 10_000)).length;

    const cursor = {};
    let passes = 0;
    while ((await holds('z-z-gone-key')) && passes <= heldNow) {
      await reconcileSlots(slots, readCurrentFrom(api), { olderThanMs: -60_000, cursor, pageSize: 2 });
      passes++;
    }
    expect(await holds('z-z-gone-key')).toBe(false);
    expect(passes).toBeLessThanOrEqual(Math.ceil(heldNow / 2));
    expect([await holds('z-long-a-key'), await holds('z-long-b-key')]).toEqual([true, true]);
  });
});

describe('a held slot whose run cannot be read', () => {
  it('keeps the rest of its page from being checked no longer', async () => {
    for (const name of ['y-a-unreadable', 'y-b-gone']) {
      await admit(`${name}-key`, `${name}-id`, name);
      await settleCreated(slots, outcome(`${name}-key`, 'applied'));
    }
    const read = readCurrentFrom(api);
    const forbidden: typeof read = async (kind, namespace, name) => {
      if (name === 'y-a-unreadable') throw new Error('agentruns.agents.proompteng.ai "y-a-unreadable" is forbidden');
      return read(kind, namespace, name);
    };
    await reconcileSlots(slots, forbidden, { olderThanMs: -60_000, pageSize: 10_000 });
    expect([await holds('y-a-unreadable-key'), await holds('y-b-gone-key')]).toEqual([true, false]);
  });
});

describe('whether a held slot\u2019s run is over', () => {
  const held = (over: Partial<HeldSlot> = {}): HeldSlot => ({
    requestKey: 'k',
    runId: 'id-1',
    kind: 'AgentRun',
    namespace: NS,
    name: 'r',
    created: false,
    ageMs: 60_000,
    ...over,
  });
  const object = (id: string, phase?: string): KubeObject => ({
    apiVersion: 'proompteng.ai/v1alpha1',
    kind: 'AgentRun',
    metadata: {
      namespace: NS,
      name: 'r',
      uid: `uid-${id}`,
      resourceVersion: '1',
      creationTimestamp: '2026-11-26T00:00:00Z',
      labels: { [JANGAR_LABELS.id]: id },
    },
    ...(phase ? { status: { phase } } : {}),
  });

  it.each([
    ['missing, not created yet', held(), undefined, false],
    ['missing, created before', held({ created: true }), undefined, true],
    ['missing, never created within the hour', held({ ageMs: UNCREATED_SLOT_MAX_MS + 1 }), undefined, true],
    ['another run under its name, its own not created yet', held(), object('id-2', 'Running'), false],
    ['another run under its name, its own created before', held({ created: true }), object('id-2', 'Running'), true],
    ['its run, running', held({ created: true }), object('id-1', 'Running'), false],
    ['its run, ended', held({ created: true }), object('id-1', 'Succeeded'), true],
    ['a slot from before run ids, its run missing', held({ runId: null }), undefined, true],
  ] as const)('%s', (_what, slot, current, over) => {
    expect(slotRunIsOver(slot, current)).toBe(over);
  });
});
