import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@jangar/service-kit/db';
import { STATUS_DATABASE } from '../src/database.js';
import { RunStore, WatchStateStore } from '../src/store.js';
import { NormalizedRun } from '@jangar/contracts';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;

beforeAll(async () => {
  scratch = await scratchDatabase('status-store', STATUS_DATABASE);
  db = scratch.db;
});

afterAll(async () => {
  await scratch?.stop();
});

/** A normalized run numbered `n`, at resourceVersion `n` unless told otherwise. */
const stored = (n: number, over: Partial<NormalizedRun> = {}) =>
  NormalizedRun.parse({
    id: `mem-${n}`,
    uid: `mem-uid-${n}`,
    type: 'AgentRun',
    namespace: 'team-a',
    name: `m${n}`,
    resourceVersion: String(n),
    labels: {},
    phase: 'Running',
    conditions: [],
    createdAt: '2026-11-26T08:00:00Z',
    updatedAt: '2026-11-26T08:00:00Z',
    ...over,
  });

describe('the watch state', () => {
  it('knows no resourceVersion for a kind never watched, then the latest one recorded', async () => {
    const state = new WatchStateStore(db);
    expect(await state.get('AgentRun')).toBeUndefined();
    await state.set('AgentRun', '41');
    await state.set('AgentRun', '42');
    expect(await state.get('AgentRun')).toBe('42');
    expect(await state.get('OrchestrationRun')).toBeUndefined();
  });
});

describe('the run store', () => {
  it('gives the stored digest, phase and version of a known run, and nothing for an unknown one', async () => {
    const runs = new RunStore(db);
    expect(await runs.previous('uid-1')).toBeUndefined();
    await db.query(
      `insert into status.runs (id, uid, type, namespace, name, phase, resource_version, status_digest, run, created_at)
       values ('run-1', 'uid-1', 'AgentRun', 'team-a', 'r1', 'Running', '7', 'digest-7', '{}', now())`,
    );
    expect(await runs.previous('uid-1')).toEqual({ digest: 'digest-7', phase: 'Running', resourceVersion: '7' });
  });

  it('remembers what it wrote of the most recent runs and reads older ones from the table', async () => {
    const runs = new RunStore(db, 2);
    for (const n of [1, 2, 3]) await runs.upsert(stored(n));
    // Changed behind its back: only a run it no longer remembers shows the table's version.
    await db.query(`update status.runs set resource_version = '99' where uid in ('mem-uid-1', 'mem-uid-3')`);
    expect((await runs.previous('mem-uid-3'))?.resourceVersion).toBe('3');
    expect((await runs.previous('mem-uid-1'))?.resourceVersion).toBe('99');
    expect((await runs.previous('mem-uid-2'))?.resourceVersion).toBe('2');
  });
});

describe('writing observed runs', () => {
  it('writes the versions observed side by side in fewer statements than versions', async () => {
    const runs = new RunStore(db);
    await Promise.all([10, 11, 12, 13, 14, 15, 16, 17].map((n) => runs.upsert(stored(n))));
    // The first write goes alone; the seven that arrive while it runs go together in the next.
    expect(runs.writeStats).toEqual({ writes: 2, items: 8 });
    const rows = await db.query<{ uid: string; resource_version: string }>(
      "select uid, resource_version from status.runs where uid like 'mem-uid-1_' order by uid",
    );
    expect(rows).toEqual([10, 11, 12, 13, 14, 15, 16, 17].map((n) => ({ uid: `mem-uid-${n}`, resource_version: String(n) })));
  });

  it('keeps the later version when another replica writes an older one after it', async () => {
    const [replicaA, replicaB] = [new RunStore(db), new RunStore(db)];
    await replicaA.upsert(stored(30, { resourceVersion: '100', phase: 'Succeeded' }));
    // B is behind: its write of an older version lands last.
    await replicaB.upsert(stored(30, { resourceVersion: '90', phase: 'Running' }));
    const [row] = await db.query<{ resource_version: string; phase: string }>(
      "select resource_version, phase from status.runs where uid = 'mem-uid-30'",
    );
    expect(row).toEqual({ resource_version: '100', phase: 'Succeeded' });
  });

  it('takes any version it cannot order, since Kubernetes calls them opaque', async () => {
    const runs = new RunStore(db);
    await runs.upsert(stored(31, { resourceVersion: '100' }));
    await runs.upsert(stored(31, { resourceVersion: 'opaque-7', phase: 'Failed' }));
    const [row] = await db.query<{ phase: string }>("select phase from status.runs where uid = 'mem-uid-31'");
    expect(row?.phase).toBe('Failed');
  });

  it('stores a run created again under its Jangar id with a new uid, and keeps it when the old object comes late', async () => {
    const runs = new RunStore(db);
    const replaced = (uid: string, createdAt: string, phase: NormalizedRun['phase']) =>
      stored(40, { id: 'replaced-id', uid, createdAt, phase, resourceVersion: uid === 'old-uid' ? '10' : '20' });
    await runs.upsert(replaced('old-uid', '2026-11-26T08:00:00Z', 'Succeeded'));
    // `kubectl replace --force`: a new object, a new uid, the same Jangar id label.
    await runs.upsert(replaced('new-uid', '2026-11-26T09:00:00Z', 'Running'));
    // A replica behind still writes a version of the old object.
    await runs.upsert(replaced('old-uid', '2026-11-26T08:00:00Z', 'Succeeded'));
    const rows = await db.query<{ uid: string; phase: string }>("select uid, phase from status.runs where id = 'replaced-id'");
    expect(rows).toEqual([{ uid: 'new-uid', phase: 'Running' }]);
  });

  it('keeps the newer object when the old comes late, though both were listed from when the run waited', async () => {
    const runs = new RunStore(db);
    // The run waited before it existed: its list position is from then, earlier than either object.
    await db.query(
      `insert into status.waiting_runs (id, type, namespace, name, phase, labels, run, created_at, observed_at)
       values ('waited-id', 'AgentRun', 'team-a', 'm41', 'Pending', '{}'::jsonb, '{}'::jsonb, '2026-11-26T07:00:00Z', '2026-11-26T07:00:00Z')`,
    );
    const replaced = (uid: string, createdAt: string, phase: NormalizedRun['phase']) =>
      stored(41, { id: 'waited-id', uid, createdAt, phase, resourceVersion: uid === 'old-uid-41' ? '10' : '20' });
    await runs.upsert(replaced('old-uid-41', '2026-11-26T08:00:00Z', 'Succeeded'));
    await runs.upsert(replaced('new-uid-41', '2026-11-26T09:00:00Z', 'Running'));
    await runs.upsert(replaced('old-uid-41', '2026-11-26T08:00:00Z', 'Succeeded'));
    const rows = await db.query<{ uid: string; phase: string }>("select uid, phase from status.runs where id = 'waited-id'");
    expect(rows).toEqual([{ uid: 'new-uid-41', phase: 'Running' }]);
  });

  it('stores the later of two versions of one run written in the same batch', async () => {
    const runs = new RunStore(db);
    await Promise.all([
      runs.upsert(stored(20)),
      runs.upsert(stored(21, { resourceVersion: '5' })),
      runs.upsert(stored(21, { resourceVersion: '6', phase: 'Succeeded' })),
    ]);
    expect(runs.writeStats.writes).toBe(2);
    const [row] = await db.query<{ resource_version: string; phase: string }>(
      "select resource_version, phase from status.runs where uid = 'mem-uid-21'",
    );
    expect(row).toEqual({ resource_version: '6', phase: 'Succeeded' });
    expect(await runs.previous('mem-uid-21')).toMatchObject({ resourceVersion: '6', phase: 'Succeeded' });
  });
});
