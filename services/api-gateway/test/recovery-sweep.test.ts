import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_NAMES, streamDefinitions } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { createLogger, ensureStreams } from '@jangar/service-kit';
import { GATEWAY_DATABASE } from '../src/database.js';
import { storedResponse, DeliveryStore } from '../src/deliveries/store.js';
import { RequestPublisher } from '../src/publisher.js';
import { claimOf } from './claims.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let scratch: ScratchDatabase;
let store: DeliveryStore;

beforeAll(async () => {
  [nats, scratch] = await Promise.all([scratchNats('recovery-sweep'), scratchDatabase('recovery_sweep', GATEWAY_DATABASE)]);
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, [streamDefinitions().requests]);
  store = new DeliveryStore(scratch.db, 24);
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([nats?.stop(), scratch?.stop()]);
});

const noMarks = { add: () => undefined, flush: async () => undefined };

describe('the recovery sweep', () => {
  it('publishes the claims behind one it cannot publish, and answers a claim too large for the bus 413', async () => {
    const publisher = new RequestPublisher(jetstream(nc), store, noMarks, undefined as never, createLogger('test', 'silent'));
    // Claimed oldest first, as the sweep reads them: each would have stopped the sweep before the rows after it.
    const tooLarge = claimOf(randomUUID(), { text: 'x'.repeat((nc.info?.max_payload ?? 1024 * 1024) + 1) });
    const unknownKind = claimOf(randomUUID(), { text: 'a kind from a newer version' }, 'Widget');
    const lost = claimOf(randomUUID(), { text: 'lost between claim and publish' });
    for (const c of [tooLarge, unknownKind, lost]) await store.claim(c);
    const before = (await jsm.streams.info(STREAM_NAMES.requests)).state.messages;

    expect(await publisher.sweepUnpublished(0)).toBe(1);

    expect((await jsm.streams.info(STREAM_NAMES.requests)).state.messages).toBe(before + 1);
    const stored = storedResponse((await store.get(tooLarge.requestKey))!);
    expect(stored?.status).toBe(413);
    expect(JSON.parse(stored!.body)).toMatchObject({ code: 'payload_too_large' });
    // The unknown kind stays pending for a gateway that knows it; it no longer holds up the others.
    expect((await store.get(unknownKind.requestKey))?.state).toBe('pending');
    expect((await store.unpublished(0)).map((r) => r.requestKey)).not.toContain(tooLarge.requestKey);
  });
});
