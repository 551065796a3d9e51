import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { RPCS } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { callRpc, endpoint, serveRpc } from '../src/rpc.js';
import { DomainError, TransientError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';

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

describe('answering an RPC', () => {
  it('answers unavailable, which a client may retry, when its handler fails for a dependency; internal for anything else', async () => {
    let failure: Error = new TransientError('the database did not answer within 5000 ms');
    const service = await serveRpc(
      nc,
      'status',
      [
        endpoint(RPCS.getRun, async () => {
          throw failure;
        }),
      ],
      createLogger('test', 'silent'),
    );
    try {
      await expect(callRpc(nc, RPCS.getRun, { id: 'r-1' }, 2_000)).rejects.toMatchObject({ code: 'unavailable' });
      failure = new TypeError("Cannot read properties of undefined (reading 'phase')");
      await expect(callRpc(nc, RPCS.getRun, { id: 'r-1' }, 2_000)).rejects.toMatchObject({ code: 'internal' });
    } finally {
      await service.stop();
    }
  });

  it('answers a page too large for one reply as a shorter page with its token, rather than failing', async () => {
    // Events of about 100 KB each: fifty would be five times what a reply carries.
    const event = (seq: number) => ({
      seq,
      id: `e-${seq}`,
      occurredAt: '2026-11-27T00:00:00.000Z',
      actor: 'alice',
      action: 'agentrun.create',
      resource: { kind: 'AgentRun', namespace: 'team-a' },
      deliveryId: `d-${seq}`,
      correlationId: `c-${seq}`,
      outcome: 'applied',
      summary: { spec: 'x'.repeat(100_000) },
      hash: 'h',
      prevHash: 'p',
    });
    const asked: number[] = [];
    const service = await serveRpc(
      nc,
      'audit',
      [
        endpoint(RPCS.listAuditEvents, async (q) => {
          asked.push(q.limit);
          return { items: Array.from({ length: q.limit }, (_, i) => event(1000 - i)), continue: `after-${1000 - q.limit + 1}` };
        }),
      ],
      createLogger('test', 'silent'),
    );
    try {
      const page = await callRpc(nc, RPCS.listAuditEvents, { namespaces: ['team-a'], limit: 50 }, 5_000);
      expect(asked).toEqual([50, 25, 12, 6]);
      expect(page.items.map((e) => e.seq)).toEqual([1000, 999, 998, 997, 996, 995]);
      expect(page.continue).toBe('after-995');
    } finally {
      await service.stop();
    }
  });
});
