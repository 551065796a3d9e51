import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { RPCS } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { callRpc } from '../src/rpc.js';
import { DomainError } from '../src/errors.js';

let nats: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await scratchNats('rpc');
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('calling an RPC', () => {
  it('throws the schema error of a request its contract refuses, not "the service did not answer"', async () => {
    const tooLong = { correlationId: 'c'.repeat(256), namespaces: ['team-a'] };
    const call = callRpc(nc, RPCS.correlation, tooLong, 1_000);
    await expect(call).rejects.toBeInstanceOf(ZodError);
  });

  it('answers unavailable when no service takes a valid request', async () => {
    const call = callRpc(nc, RPCS.correlation, { correlationId: 'c-1', namespaces: ['team-a'] }, 200);
    await expect(call).rejects.toMatchObject({ code: 'unavailable' });
    await expect(call).rejects.toBeInstanceOf(DomainError);
  });
});
