import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMERS, streamDefinitions } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { ensureConsumer, ensureStreams, retireConsumers } from '../src/nats.js';

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await scratchNats('retire');
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, Object.values(streamDefinitions()));
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('retired consumers', () => {
  it('are deleted, whether they exist or not, and the current ones stay', async () => {
    const retired = { ...CONSUMERS.policyRunEnded, durable: 'policy-run-status', filter: 'jangar.run.status.>' };
    await ensureConsumer(jsm, retired);
    await ensureConsumer(jsm, CONSUMERS.policyRunEnded);
    await retireConsumers(jsm, [retired]);
    await retireConsumers(jsm, [retired]);
    const names: string[] = [];
    for await (const c of jsm.consumers.list(retired.stream)) names.push(c.name);
    expect(names).toContain('policy-run-ended');
    expect(names).not.toContain('policy-run-status');
  });
});
