import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresHandle } from '@jangar/devstack';
import { createLogger } from '@jangar/service-kit';
import { openDatabase, type Database } from '@jangar/service-kit/db';
import { STATUS_DATABASE } from '../src/database.js';
import { RunStore, WatchStateStore } from '../src/store.js';
import { NormalizedRun } from '@jangar/contracts';

let dir: string;
let pg: PostgresHandle;
let db: Database;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'jangar-status-store-'));
  pg = await startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  db = await openDatabase({ url: pg.url, ...STATUS_DATABASE, logger: createLogger('test', 'silent') });
});

afterAll(async () => {
  await db?.close();
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
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
    const stored = (n: number) =>
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
      });
    for (const n of [1, 2, 3]) await runs.upsert(stored(n));
    // Changed behind its back: only a run it no longer remembers shows the table's version.
    await db.query(`update status.runs set resource_version = '99' where uid in ('mem-uid-1', 'mem-uid-3')`);
    expect((await runs.previous('mem-uid-3'))?.resourceVersion).toBe('3');
    expect((await runs.previous('mem-uid-1'))?.resourceVersion).toBe('99');
    expect((await runs.previous('mem-uid-2'))?.resourceVersion).toBe('2');
  });
});
