import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBJECTS, type OutcomeMessage } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { createLogger } from '@jangar/service-kit';
import { OutcomeWaiter } from '../src/outcomes.js';

let nats: NatsServerHandle;
let nc: NatsConnection;
let waiter: OutcomeWaiter;

beforeAll(async () => {
  nats = await scratchNats('outcomes');
  nc = await connect({ servers: nats.url });
  waiter = new OutcomeWaiter(nc, createLogger('test', 'silent'));
  await nc.flush();
});

afterAll(async () => {
  waiter?.close();
  await nc?.close();
  await nats?.stop();
});

const outcome = (requestKey: string, attempt = 1): OutcomeMessage => ({
  deliveryId: requestKey,
  requestKey,
  attempt,
  correlationId: requestKey,
  principal: { subject: 'alice', roles: [] },
  namespace: 'team-a',
  occurredAt: new Date().toISOString(),
  payload: {
    result: 'rejected',
    id: '11111111-1111-1111-1111-111111111111',
    kind: 'AgentRun',
    verb: 'create',
    error: { code: 'policy_denied', detail: 'no' },
  },
});

const publish = (m: OutcomeMessage | string) =>
  nc.publish(SUBJECTS.outcome.subject({ kind: 'agentrun', verb: 'create' }), typeof m === 'string' ? m : JSON.stringify(m));

describe('waiting for an outcome', () => {
  it('wakes the request waiting for it through the subscription, without reading its row', async () => {
    let polls = 0;
    const wait = waiter.expect('alice:w-1', 1, async () => {
      polls += 1;
      return undefined;
    });
    // Outcomes of other requests, and messages that are not outcomes, pass by without waking it.
    publish(outcome('alice:someone-else'));
    publish('not json');
    publish(outcome('alice:w-1'));
    // The round trip puts the published messages in the subscription's hands before the wait starts,
    // so the wake-up cannot lose a race with the first read of the row.
    await nc.flush();
    const got = await wait(10_000);
    expect(got).toMatchObject({ requestKey: 'alice:w-1', payload: { result: 'rejected' } });
    expect(polls).toBe(0);
  });

  it("is not woken by an earlier attempt's outcome published again, only by its own attempt's", async () => {
    const wait = waiter.expect('alice:w-5', 2, async () => undefined);
    // Attempt 1 was refused "not now"; its handler, redelivered after a crash, publishes that outcome again.
    publish(outcome('alice:w-5', 1));
    publish(outcome('alice:w-5', 2));
    await nc.flush();
    expect(await wait(10_000)).toMatchObject({ requestKey: 'alice:w-5', attempt: 2 });
  });

  it('answers at once a wait that begins after its outcome passed by, as a retry on another replica does', async () => {
    // The replica that took the request died before answering; the retry's replica saw the outcome go by.
    // The subscription handles outcomes in order: once the marker's wait ends, w-6's has passed.
    const marker = waiter.expect('alice:w-6-marker', 1, async () => undefined);
    publish(outcome('alice:w-6', 1));
    publish(outcome('alice:w-6-marker', 1));
    expect(await marker(10_000)).toBeDefined();
    let polls = 0;
    const wait = waiter.expect('alice:w-6', 1, async () => {
      polls += 1;
      return undefined;
    });
    expect(await wait(10_000)).toMatchObject({ requestKey: 'alice:w-6', attempt: 1 });
    expect(polls).toBe(0);
    // Another attempt of the same request is not answered by it.
    expect(await waiter.expect('alice:w-6', 2, async () => undefined)(300)).toBeUndefined();
  });

  it('gives up at the end of the wait, having read the row in between', async () => {
    let polls = 0;
    const wait = waiter.expect('alice:w-2', 1, async () => {
      polls += 1;
      return undefined;
    });
    publish(outcome('alice:w-3'));
    expect(await wait(1_200)).toBeUndefined();
    expect(polls).toBeGreaterThan(0);
  });

  // Without the bound the wait lasts as long as the read does, here for ever: the test then fails at its limit.
  it('gives up at the end of the wait though a read of the row never returns (a Postgres that hangs)', { timeout: 20_000 }, async () => {
    let polls = 0;
    const wait = waiter.expect('alice:w-4', 1, () => {
      polls += 1;
      return new Promise<undefined>(() => undefined);
    });
    expect(await wait(1_200)).toBeUndefined();
    expect(polls).toBe(1);
  });
});
