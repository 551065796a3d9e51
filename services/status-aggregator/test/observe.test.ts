import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeObject, streamDefinitions, type NormalizedRun } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { ensureStreams } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';

import { STATUS_DATABASE } from '../src/database.js';
import { observeRun, observeVanished } from '../src/observe.js';
import { RunStore } from '../src/store.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let db: Database;
let statements: string[];

const RUN_STATUS = streamDefinitions().runStatus.name;

beforeAll(async () => {
  [scratch, nats] = await Promise.all([scratchDatabase('observe', STATUS_DATABASE), scratchNats('observe')]);
  db = scratch.db;
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, Object.values(streamDefinitions()));
  // Counts what the store sends, so a test can say how much work an observation costs.
  const query = db.query.bind(db);
  db.query = ((sql: string, params?: unknown[]) => (statements.push(sql.trim().split(/\s+/)[0]!), query(sql, params))) as typeof db.query;
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([scratch?.stop(), nats?.stop()]);
});

beforeEach(() => {
  statements = [];
});

let next = 0;
/** A fresh run at version 1 with the given status. */
function run(status: Record<string, unknown>) {
  next++;
  return KubeObject.parse({
    apiVersion: 'agents.proompteng.ai/v1alpha1',
    kind: 'AgentRun',
    metadata: {
      name: `r${next}`,
      namespace: 'team-a',
      uid: `uid-${next}-${Date.now()}`,
      resourceVersion: '1',
      creationTimestamp: '2026-11-26T08:00:00Z',
      labels: { 'jangar.proompteng.ai/id': `run-${next}-${Date.now()}` },
    },
    spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' } },
    status,
  });
}
const at = (obj: KubeObject, resourceVersion: string, patch: Partial<KubeObject> = {}) =>
  KubeObject.parse({ ...obj, ...patch, metadata: { ...obj.metadata, ...patch.metadata, resourceVersion } });

const published = async () => (await jsm.streams.info(RUN_STATUS)).state.messages;

describe('observing a run', () => {
  it('publishes a new status once and stores it for reads', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const obj = run({ phase: 'Running' });
    const before = await published();
    expect(await observeRun(obj, deps)).toBe('published');
    expect(await published()).toBe(before + 1);
    expect((await deps.store.get(obj.metadata.uid))?.phase).toBe('Running');
  });

  it('sends no statement and publishes nothing when the very same version is observed again', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const obj = run({ phase: 'Running' });
    await observeRun(obj, deps);
    const before = await published();
    statements = [];
    expect(await observeRun(obj, deps)).toBe('unchanged');
    expect(statements).toEqual([]);
    expect(await published()).toBe(before);
  });

  it('reads what another process stored (a restart) once, and then writes nothing for the same version', async () => {
    const obj = run({ phase: 'Running' });
    await observeRun(obj, { js: jetstream(nc), store: new RunStore(db) });
    const before = await published();
    statements = [];
    expect(await observeRun(obj, { js: jetstream(nc), store: new RunStore(db) })).toBe('unchanged');
    expect(statements).toEqual(['select']);
    expect(await published()).toBe(before);
  });

  it('neither stores nor publishes a version older than the one stored, as a resumed watch replays', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const obj = run({ phase: 'Running' });
    expect(await observeRun(at(obj, '100', { status: { phase: 'Succeeded' } }), deps)).toBe('published');
    const before = await published();
    expect(await observeRun(at(obj, '90', { status: { phase: 'Running' } }), deps)).toBe('stale');
    // Another process, with nothing remembered, reads the stored version and refuses it too.
    expect(await observeRun(at(obj, '95', { status: { phase: 'Running' } }), { ...deps, store: new RunStore(db) })).toBe('stale');
    expect(await published()).toBe(before);
    expect((await deps.store.get(obj.metadata.uid))?.phase).toBe('Succeeded');
  });

  it('stores a new version whose status is the same without publishing it', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const obj = run({ phase: 'Running' });
    await observeRun(obj, deps);
    const before = await published();
    const relabelled = at(obj, '2', { metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, team: 'a' } } });
    expect(await observeRun(relabelled, deps)).toBe('unchanged');
    expect(await published()).toBe(before);
    const stored = await deps.store.get(obj.metadata.uid);
    expect(stored).toMatchObject({ resourceVersion: '2', labels: { team: 'a' } });
  });

  it('publishes a provider-only change once, though the run’s resourceVersion stays the same', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    // A replica that saw the run before the provider moved: its memory is one change behind.
    const replica = { js: jetstream(nc), store: new RunStore(db) };
    const obj = run({ phase: 'Running' });
    await observeRun(obj, deps);
    await observeRun(obj, replica);
    const before = await published();
    const providerMoved = at(obj, '1', {
      status: { phase: 'Running', provider: { phase: 'Running', message: '1 pod' } },
    } as Partial<KubeObject>);

    expect(await observeRun(providerMoved, deps)).toBe('published');
    expect(await published()).toBe(before + 1);
    const subject = `jangar.run.status.team-a.agentrun.${obj.metadata.name}.active`;
    const last = await jsm.streams.getMessage(RUN_STATUS, { last_by_subj: subject });
    expect(last?.json<{ payload: { run: NormalizedRun } }>().payload.run).toMatchObject({
      resourceVersion: '1',
      provider: { phase: 'Running', message: '1 pod' },
    });
    expect((await deps.store.get(obj.metadata.uid))?.provider?.message).toBe('1 pod');
    // The same change again, from this process or from the replica, is no second message.
    expect(await observeRun(providerMoved, deps)).toBe('unchanged');
    await observeRun(providerMoved, replica);
    expect(await published()).toBe(before + 1);
  });

  it('publishes a provider that goes back to an earlier state at the same run version', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const obj = run({ phase: 'Running' });
    await observeRun(obj, deps);
    const provider = (phase: string, message: string) =>
      at(obj, '1', { status: { phase: 'Running', provider: { phase, message } } } as Partial<KubeObject>);
    const before = await published();
    // Its pod failed and a new one took over: Running, Pending, Running again, the run untouched.
    expect(await observeRun(provider('Running', '1 pod'), deps)).toBe('published');
    expect(await observeRun(provider('Pending', '0 pods'), deps)).toBe('published');
    expect(await observeRun(provider('Running', '1 pod'), deps)).toBe('published');
    expect(await published()).toBe(before + 3);
    const subject = `jangar.run.status.team-a.agentrun.${obj.metadata.name}.active`;
    const last = await jsm.streams.getMessage(RUN_STATUS, { last_by_subj: subject });
    expect(last?.json<{ payload: { run: NormalizedRun } }>().payload.run.provider).toMatchObject({ phase: 'Running', message: '1 pod' });
  });
});

describe('observing a version from a change’s outcome', () => {
  it('stores it where nothing is stored or it is newer, never over the watch’s observation of the same version', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const obj = run({ phase: 'Pending' });
    // Nothing stored yet: the outcome's version is all there is.
    expect(await observeRun(at(obj, '5'), deps, { fillOnly: true })).toBe('published');
    // The watch's version 5, with the provider's live state joined to it, replaces it.
    const watched = at(obj, '5', {
      status: { phase: 'Pending', provider: { phase: 'Pending', message: 'scheduling' } },
    } as Partial<KubeObject>);
    expect(await observeRun(watched, deps)).toBe('published');
    // The same version again from an outcome, without the provider's state, changes nothing.
    expect(await observeRun(at(obj, '5'), deps, { fillOnly: true })).toBe('stale');
    expect((await deps.store.get(obj.metadata.uid))?.provider?.message).toBe('scheduling');
    // A later one, as a delete left it, is stored.
    expect(await observeRun(at(obj, '7', { status: { phase: 'Cancelled' } }), deps, { fillOnly: true })).toBe('published');
    expect((await deps.store.get(obj.metadata.uid))?.phase).toBe('Cancelled');
  });
});

describe('ending the runs a list left out', () => {
  it('ends a stored run not over that a list left out as Cancelled at its last stored version, once', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const gone = at(run({ phase: 'Running' }), '5');
    const listedRun = at(run({ phase: 'Running' }), '6');
    const finished = at(run({ phase: 'Succeeded' }), '4');
    // Created after the list, so not in it, and stored by a replica further along.
    const newer = at(run({ phase: 'Pending' }), '20');
    for (const obj of [gone, listedRun, finished, newer]) await observeRun(obj, deps);
    // The list, at version 10, had every run stored before this test's and `listedRun`.
    const stored = await db.query<{ uid: string }>('select uid from status.runs');
    const mine = new Set([gone, finished, newer].map((o) => o.metadata.uid));
    const listed = new Set(stored.map((r) => r.uid).filter((uid) => !mine.has(uid)));
    const before = await published();

    expect(await observeVanished('AgentRun', listed, '10', deps)).toBe(1);
    expect(await published()).toBe(before + 1);
    const ended = await deps.store.get(gone.metadata.uid);
    expect(ended).toMatchObject({ phase: 'Cancelled', resourceVersion: '5', finishedAt: '2026-11-26T08:00:00.000Z' });
    expect(ended?.conditions).toContainEqual(expect.objectContaining({ type: 'InProgress', status: 'False', reason: 'Cancelled' }));
    expect((await deps.store.get(finished.metadata.uid))?.phase).toBe('Succeeded');
    expect((await deps.store.get(newer.metadata.uid))?.phase).toBe('Pending');
    expect((await deps.store.get(listedRun.metadata.uid))?.phase).toBe('Running');

    // Another replica's list of the same moment ends nothing more, and publishes nothing.
    expect(await observeVanished('AgentRun', listed, '10', { ...deps, store: new RunStore(db) })).toBe(0);
    expect(await published()).toBe(before + 1);
  });

  it('gives way to how the run really ended, seen late by a replica behind', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const obj = at(run({ phase: 'Running' }), '5');
    await observeRun(obj, deps);
    const listed = new Set(
      (await db.query<{ uid: string }>('select uid from status.runs where uid <> ?', [obj.metadata.uid])).map((r) => r.uid),
    );
    expect(await observeVanished('AgentRun', listed, '10', deps)).toBe(1);

    // It succeeded at 7 and was deleted at 8, before the list at 10: a replica still behind stores that.
    const behind = { js: jetstream(nc), store: new RunStore(db) };
    expect(await observeRun(at(obj, '7', { status: { phase: 'Succeeded' } }), behind)).toBe('published');
    expect((await deps.store.get(obj.metadata.uid))?.phase).toBe('Succeeded');
  });

  it('ends a run whose stored times do not parse, timed by its creation', async () => {
    const deps = { js: jetstream(nc), store: new RunStore(db) };
    const obj = at(run({ phase: 'Running', updatedAt: 'yesterday' }), '5');
    await observeRun(obj, deps);
    const listed = new Set(
      (await db.query<{ uid: string }>('select uid from status.runs where uid <> ?', [obj.metadata.uid])).map((r) => r.uid),
    );
    expect(await observeVanished('AgentRun', listed, '10', deps)).toBe(1);
    expect(await deps.store.get(obj.metadata.uid)).toMatchObject({ phase: 'Cancelled', finishedAt: '2026-11-26T08:00:00.000Z' });
  });
});
