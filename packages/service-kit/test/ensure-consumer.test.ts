import { nanos } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerDefinition } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { ensureConsumer } from '../src/nats.js';

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;

const STREAM = 'ENSURE_CONSUMER';
let durables = 0;
/** A declaration of a durable no other case uses, as the contracts declare them. */
const declared = (): ConsumerDefinition => ({
  stream: STREAM,
  durable: `ensure-${++durables}`,
  filter: 'ensure.a.>',
  ackWaitMs: 10_000,
  maxDeliver: -1,
});
const configOf = async (def: ConsumerDefinition) => (await jsm.consumers.info(def.stream, def.durable)).config;

beforeAll(async () => {
  nats = await scratchNats('ensure-consumer');
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['ensure.>'] });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('ensureConsumer', () => {
  it('creates a missing durable as declared, and leaves one as declared unchanged', async () => {
    const def = declared();
    await ensureConsumer(jsm, def, { ackWaitMs: 4_000 });
    await ensureConsumer(jsm, def, { ackWaitMs: 4_000 });
    expect(await configOf(def)).toMatchObject({
      durable_name: def.durable,
      filter_subject: 'ensure.a.>',
      ack_policy: 'explicit',
      deliver_policy: 'all',
      ack_wait: nanos(4_000),
      max_deliver: -1,
      max_ack_pending: 1000,
    });
  });

  it('brings the ack wait, max deliveries and unacknowledged limit of an older declaration to this one', async () => {
    const def = declared();
    await ensureConsumer(jsm, { ...def, ackWaitMs: 30_000, maxDeliver: 5 });
    await jsm.consumers.update(def.stream, def.durable, { max_ack_pending: 20 });
    await ensureConsumer(jsm, def);
    expect(await configOf(def)).toMatchObject({ ack_wait: nanos(10_000), max_deliver: -1, max_ack_pending: 1000 });
  });

  it('refuses to start on a durable that consumes another filter, naming both, and leaves it as it was', async () => {
    const def = declared();
    await ensureConsumer(jsm, { ...def, filter: 'ensure.b.>', ackWaitMs: 30_000 });
    const start = ensureConsumer(jsm, def);
    await expect(start).rejects.toThrow(`consumer ${def.durable} on stream ${STREAM} has filter_subject "ensure.b.>"`);
    await expect(start).rejects.toThrow('declares "ensure.a.>"');
    expect(await configOf(def)).toMatchObject({ filter_subject: 'ensure.b.>', ack_wait: nanos(30_000) });
  });

  it('refuses to start on a durable that acknowledges otherwise than declared', async () => {
    const def = declared();
    await jsm.consumers.add(STREAM, { durable_name: def.durable, filter_subject: def.filter, ack_policy: 'all' as never });
    await expect(ensureConsumer(jsm, def)).rejects.toThrow(/ack_policy "all" where this version declares "explicit"/);
  });

  it('lets replicas starting together create one durable between them', async () => {
    const def = declared();
    await Promise.all(Array.from({ length: 4 }, () => ensureConsumer(jsm, def)));
    expect((await configOf(def)).filter_subject).toBe(def.filter);
  });
});
