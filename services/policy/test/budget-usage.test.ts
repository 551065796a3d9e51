import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetAmounts, KubeObject } from '@jangar/contracts';
import { waitFor } from '@jangar/devstack';
import { createLogger } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import { BudgetUsageRecorder, type StatusPatcher } from '../src/budget-usage.js';
import { POLICY_DATABASE } from '../src/database.js';
import { SlotStore } from '../src/slots/store.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;
let slots: SlotStore;

beforeAll(async () => {
  scratch = await scratchDatabase('budget-usage', POLICY_DATABASE);
  db = scratch.db;
  slots = new SlotStore(db);
});

afterAll(async () => {
  await scratch?.stop();
});

const budget = (namespace: string, name: string, spec: object, status?: object): KubeObject => ({
  apiVersion: 'proompteng.ai/v1alpha1',
  kind: 'Budget',
  metadata: { namespace, name, uid: `${namespace}-${name}`, resourceVersion: '1', creationTimestamp: '2026-11-26T00:00:00Z' },
  spec,
  status,
});

/** A cluster view holding `budgets`, as the informers would. */
const viewOf = (...budgets: KubeObject[]) => ({
  get: (_kind: unknown, namespace: string, name: string) =>
    budgets.find((b) => b.metadata.namespace === namespace && b.metadata.name === name),
  list: (_kind: unknown, namespace?: string) => budgets.filter((b) => namespace === undefined || b.metadata.namespace === namespace),
});

// Every patcher a test made lets its writes go after the test, passed or failed: a write held
// forever would keep its transaction open, and closing the pool would wait for it.
const patchers: Array<{ releaseAll(): void }> = [];
afterEach(() => {
  for (const p of patchers.splice(0)) p.releaseAll();
});

/** A status patcher that records each write and holds it until the test lets it go. */
function heldPatches() {
  const written: Array<{ budget: string; used: BudgetAmounts }> = [];
  const held: Array<() => void> = [];
  let holding = true;
  const patch: StatusPatcher = async (namespace, name, used) => {
    if (holding) await new Promise<void>((release) => held.push(release));
    written.push({ budget: `${namespace}/${name}`, used });
  };
  const patcher = {
    patch,
    written,
    held,
    /** Lets every held write go, and every later one through at once. */
    releaseAll: () => {
      holding = false;
      held.splice(0).forEach((release) => release());
    },
  };
  patchers.push(patcher);
  return patcher;
}

const recorder = (view: ReturnType<typeof viewOf>, patchStatus: StatusPatcher, writeTimeoutMs?: number) =>
  new BudgetUsageRecorder({ view, slots, patchStatus, logger: createLogger('test', 'silent'), writeTimeoutMs });

/** Admits a run in `namespace` charged to the run budget `key`. */
async function admitRun(namespace: string, name: string, key: string, cpu = 0) {
  const admission = await slots.admit(
    {
      requestKey: `alice:${name}`,
      attempt: 1,
      runId: `id-${name}`,
      kind: 'AgentRun',
      namespace,
      name,
      agent: 'coder',
      resources: { cpu, memory: 0, gpu: 0 },
    },
    { limits: {}, budgets: [{ key, limit: 100, periodMs: 3_600_000 }] },
  );
  expect(admission.charged).toEqual([key]);
}

const waitersOnBudgetLocks = async () =>
  Number((await db.query<{ n: string }>(`select count(*) as n from pg_locks where locktype = 'advisory' and not granted`))[0]?.n);

describe('Budget.status.used', () => {
  it('ends with every charge counted when two replicas write at once and the older write would land last', async () => {
    const key = 'Budget race/hourly';
    const view = viewOf(budget('race', 'hourly', { limits: { runs: 10 }, period: '1h' }));
    const patches = heldPatches();
    const [replicaA, replicaB] = [recorder(view, patches.patch), recorder(view, patches.patch)];

    await admitRun('race', 'r1', key);
    const first = replicaA.record(key);
    // A has read one run and holds its write; a second run is admitted and B is asked to write.
    await waitFor('replica A to hold its write', async () => patches.held.length === 1);
    await admitRun('race', 'r2', key);
    const second = replicaB.record(key);
    // B must wait for A's lock: without it, B would write 2 now and A's 1 would land after it.
    await waitFor('replica B to wait on the budget lock', async () => (await waitersOnBudgetLocks()) === 1);
    expect(patches.written).toEqual([]);
    patches.releaseAll();
    await Promise.all([first, second]);

    expect(patches.written).toEqual([
      { budget: 'race/hourly', used: { runs: 1 } },
      { budget: 'race/hourly', used: { runs: 2 } },
    ]);
  });

  it('shares one write among the calls that arrive while it waits to start, and that write counts them all', async () => {
    const key = 'Budget share/hourly';
    const patches = heldPatches();
    const usage = recorder(viewOf(budget('share', 'hourly', { limits: { runs: 10 }, period: '1h' })), patches.patch);

    await admitRun('share', 's1', key);
    const first = usage.record(key);
    await waitFor('the first write to be held', async () => patches.held.length === 1);
    const later: Promise<void>[] = [];
    for (const name of ['s2', 's3', 's4']) {
      await admitRun('share', name, key);
      later.push(usage.record(key));
    }
    patches.releaseAll();
    await Promise.all([first, ...later]);

    expect(patches.written.map((w) => w.used)).toEqual([{ runs: 1 }, { runs: 4 }]);
  });

  it('shows the runs started in the period and the resources active runs request, as quantities', async () => {
    const key = 'Budget both/mixed';
    const patches = heldPatches();
    patches.releaseAll();
    const usage = recorder(viewOf(budget('both', 'mixed', { limits: { runs: 10, cpu: '4' }, period: '1h' })), patches.patch);

    await admitRun('both', 'b1', key, 1.5);
    await admitRun('both', 'b2', key, 1);
    await usage.record(key);
    await slots.releaseRun({ id: 'id-b1', kind: 'AgentRun', namespace: 'both', name: 'b1' });
    await usage.refreshResources('both');

    expect(patches.written.map((w) => w.used)).toEqual([
      { runs: 2, cpu: '2500m' },
      { runs: 2, cpu: '1' },
    ]);
  });

  it('writes again the Budgets whose status shows runs that have rolled out of the period, and only those', async () => {
    const patches = heldPatches();
    patches.releaseAll();
    await db.query(
      `insert into policy.budget_charges (budget, request_key, charged_at) values
         ('Budget roll/hourly', 'old', now() - interval '2 hours'), ('Budget roll/hourly', 'new', now()),
         ('Budget roll/steady', 'now', now())`,
    );
    const view = viewOf(
      budget('roll', 'hourly', { limits: { runs: 10 }, period: '1h' }, { used: { runs: 2 } }),
      budget('roll', 'steady', { limits: { runs: 10 }, period: '1h' }, { used: { runs: 1 } }),
      budget('roll', 'cores', { limits: { cpu: '2' } }, { used: { cpu: '1' } }),
    );

    await recorder(view, patches.patch).refreshRuns();

    expect(patches.written).toEqual([{ budget: 'roll/hourly', used: { runs: 1 } }]);
  });

  it('gives up a write the API server does not answer, letting go of the Budget lock for the next write', async () => {
    const key = 'Budget hung/hourly';
    const view = viewOf(budget('hung', 'hourly', { limits: { runs: 10 }, period: '1h' }));
    const hung = heldPatches();
    await admitRun('hung', 'h1', key);
    // The first write's API call never answers; it must fail instead of holding the lock.
    await expect(recorder(view, hung.patch, 200).record(key)).rejects.toThrow(/took longer than 200 ms/);
    const healthy = heldPatches();
    healthy.releaseAll();
    await recorder(view, healthy.patch).record(key);
    expect(healthy.written.map((w) => w.used)).toEqual([{ runs: 1 }]);
    expect(await waitersOnBudgetLocks()).toBe(0);
  });

  it('writes nothing for a Budget that is gone or meters nothing from admissions', async () => {
    const patches = heldPatches();
    patches.releaseAll();
    const usage = recorder(viewOf(budget('none', 'tokens', { limits: { tokens: '1M' } })), patches.patch);

    await usage.record('Budget none/tokens');
    await usage.record('Budget none/deleted');
    await usage.refreshResources('none');

    expect(patches.written).toEqual([]);
  });
});
