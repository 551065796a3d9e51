import { randomUUID } from 'node:crypto';
import { jetstreamManager, jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamDefinitions, type OutcomeMessage, type RequestMessage } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { ensureStreams } from '@jangar/service-kit';
import { answerCannotProcess, declineGivingUp } from '../src/cannot-process.js';
import { POLICY_DATABASE } from '../src/database.js';
import { DecisionStore } from '../src/decisions/store.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
const OUTCOMES = streamDefinitions().outcomes.name;

beforeAll(async () => {
  [scratch, nats] = await Promise.all([scratchDatabase('policy-cannot-process', POLICY_DATABASE), scratchNats('policy-cannot-process')]);
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, [streamDefinitions().outcomes]);
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([scratch?.stop(), nats?.stop()]);
});

function request(): RequestMessage {
  const deliveryId = randomUUID();
  return {
    deliveryId,
    requestKey: `alice:${deliveryId}`,
    attempt: 1,
    correlationId: deliveryId,
    principal: { subject: 'alice', roles: [] },
    namespace: 'team-a',
    occurredAt: new Date().toISOString(),
    payload: { id: randomUUID(), kind: 'AgentRun', verb: 'create', metadata: { namespace: 'team-a', name: `r-${deliveryId}` } },
  };
}

describe('answering a request policy cannot process', () => {
  it('publishes its final internal outcome when its attempt left nothing behind', async () => {
    const message = request();
    expect(await declineGivingUp(scratch.db, message)).toBeUndefined();
    await answerCannotProcess(jetstream(nc), message);
    const last = await jsm.streams.getMessage(OUTCOMES, { last_by_subj: 'jangar.outcome.agentrun.create' });
    expect(last!.json<OutcomeMessage>()).toMatchObject({
      requestKey: message.requestKey,
      payload: { result: 'rejected', id: message.payload.id, error: { code: 'internal' } },
    });
  });

  it('declines to give up when its attempt was decided or holds a slot', async () => {
    const decided = request();
    await new DecisionStore(scratch.db).keep(decided.requestKey, 1, {
      decision: {
        request: decided.payload,
        verdict: 'allow',
        mode: 'enforce',
        violations: [],
        policyVersion: 'v1',
        evaluatedAt: decided.occurredAt,
      },
    });
    const holding = request();
    await scratch.db.query("insert into policy.run_slots (request_key, kind, namespace, name) values (?, 'AgentRun', 'team-a', 'r')", [
      holding.requestKey,
    ]);
    for (const message of [decided, holding]) {
      expect(await declineGivingUp(scratch.db, message)).toMatch(/a 500 could be followed by the run/);
    }
  });
});
