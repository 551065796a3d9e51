import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JANGAR_LABELS, streamDefinitions, type KubeObject } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { deliveryLabelValue, ensureStreams, requestKeyFor } from '@jangar/service-kit';
import { Tombstones } from '../src/tombstones.js';

let nats: NatsServerHandle;
let nc: NatsConnection;
let tombstones: Tombstones;

beforeAll(async () => {
  nats = await scratchNats('tombstones');
  nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, [streamDefinitions().tombstones]);
  tombstones = new Tombstones(jetstream(nc), jsm);
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const runMadeBy = (requestKey: string | undefined, name: string): KubeObject => ({
  apiVersion: 'agents.proompteng.ai/v1alpha1',
  kind: 'AgentRun',
  metadata: {
    name,
    namespace: 'team-a',
    uid: `uid-${name}`,
    resourceVersion: '7',
    creationTimestamp: '2026-11-27T05:00:00Z',
    labels: requestKey === undefined ? {} : { [JANGAR_LABELS.delivery]: deliveryLabelValue(requestKey) },
  },
});

describe('the removal of what a create made', () => {
  it('is found by that create, and by nothing else', async () => {
    const createKey = requestKeyFor('alice', 'make-r1');
    const run = runMadeBy(createKey, 'r1');
    await tombstones.recordRemoval(run);

    expect(await tombstones.removalOf(createKey)).toEqual(run);
    expect(await tombstones.removalOf(requestKeyFor('alice', 'make-r2'))).toBeUndefined();
    // The create's key has no delete tombstone of its own: the two kinds of record do not mix.
    expect(await tombstones.find({ key: createKey })).toBeUndefined();
  });

  it('is not recorded for an object Jangar did not create', async () => {
    const jsm = await jetstreamManager(nc);
    const messages = async () => (await jsm.streams.info(streamDefinitions().tombstones.name)).state.messages;
    const before = await messages();
    await tombstones.recordRemoval(runMadeBy(undefined, 'by-hand'));
    expect(await messages()).toBe(before);
  });
});

describe("a delete's tombstone", () => {
  it('is found by its request, and not by a later request that reuses its deliveryId', async () => {
    const key = requestKeyFor('alice', 'delete-r3');
    const run = runMadeBy(undefined, 'r3');
    await tombstones.record({ key, id: 'request-1' }, run);

    expect(await tombstones.find({ key, id: 'request-1' })).toEqual(run);
    expect(await tombstones.find({ key, id: 'request-2' })).toBeUndefined();
  });
});
