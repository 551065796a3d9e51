import { describe, expect, it } from 'vitest';
import type { DecisionMessage, QueueSummary } from '@jangar/contracts';
import { responseForHold, responseForOutcome } from '../src/responses.js';

const queue: QueueSummary = {
  id: '0b0e7f4e-4a53-4f6b-9d33-3a0a4a2b8f10',
  state: 'Queued',
  namespace: 'team-a',
  kind: 'AgentRun',
  agent: 'coder',
  reason: 'ConcurrencyLimit',
  message: '2 of 2 runs are active in namespace "team-a"',
  enqueuedAt: '2026-11-26T06:00:00.000Z',
  expiresAt: '2026-11-26T07:00:00.000Z',
};

const decision = (payload: Partial<DecisionMessage['payload']>) =>
  ({
    deliveryId: 'd-1',
    requestKey: 'dev:d-1',
    attempt: 1,
    payload: {
      request: { id: 'r-1', kind: 'AgentRun', verb: 'create', metadata: { namespace: 'team-a' } },
      verdict: 'pending',
      ...payload,
    },
  }) as DecisionMessage;

describe('responseForHold', () => {
  it('answers a queued run 202 Pending with a Blocked condition naming the limit', () => {
    const res = responseForHold(decision({ queue }));
    expect(res?.status).toBe(202);
    expect(JSON.parse(res!.body)).toEqual({
      id: 'r-1',
      kind: 'AgentRun',
      status: 'Queued',
      deliveryId: 'd-1',
      phase: 'Pending',
      conditions: [
        { type: 'Blocked', status: 'True', reason: 'ConcurrencyLimit', message: queue.message, lastTransitionTime: queue.enqueuedAt },
      ],
      queue,
    });
  });

  it('stores nothing for a decision that only records how a run left the queue', () => {
    expect(responseForHold(decision({ queue: { ...queue, state: 'Admitted' } }))).toBeUndefined();
  });
});

describe('responseForOutcome', () => {
  const rejected = (kind: string, code: string, violations = [{ ruleId: 'secrets-allowlist', path: 'spec.secrets[0]', reason: 'no' }]) =>
    JSON.parse(
      responseForOutcome({ result: 'rejected', id: 'r-1', kind, verb: 'create', error: { code, detail: 'denied', violations } }).body,
    );

  it("gives a refused run's problem the phase and conditions it would stand in", () => {
    expect(rejected('AgentRun', 'policy_denied')).toMatchObject({
      status: 403,
      phase: 'Failed',
      conditions: [{ type: 'InvalidSpec', reason: 'SecretNotAllowed', message: 'no' }],
    });
  });

  it('leaves them off refusals of kinds that are not runs', () => {
    const body = rejected('Agent', 'policy_denied');
    expect(body.phase).toBeUndefined();
    expect(body.conditions).toBeUndefined();
  });
});
