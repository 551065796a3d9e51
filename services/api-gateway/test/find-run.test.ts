import { describe, expect, it } from 'vitest';
import { RequestMessage } from '@jangar/contracts';
import type { DeliveryRow } from '../src/deliveries/store.js';
import { uncreatedRun } from '../src/routes/find-run.js';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const CREATED = new Date('2026-11-26T10:00:00.000Z');
const COMPLETED = new Date('2026-11-26T10:05:00.000Z');

/** The delivery of an AgentRun create in `state`, with the stored answer `status` and `body`. */
function delivery(state: string, status: number | null = null, body: unknown = null, kind = 'AgentRun'): DeliveryRow {
  const message = RequestMessage.parse({
    deliveryId: 'd-1',
    requestKey: 'alice:d-1',
    correlationId: 'c-1',
    principal: { subject: 'alice' },
    namespace: 'team-a',
    occurredAt: CREATED.toISOString(),
    payload: { id: ID, kind, verb: 'create', metadata: { namespace: 'team-a', name: 'fix-ci', labels: { team: 'a' } }, spec: {} },
  });
  return {
    requestKey: 'alice:d-1',
    deliveryId: 'd-1',
    resourceId: ID,
    state,
    statusCode: status,
    contentType: status === null ? null : 'application/problem+json',
    responseBody: body === null ? null : JSON.stringify(body),
    resource: null,
    message,
    createdAt: CREATED,
    completedAt: state === 'completed' ? COMPLETED : null,
  } as unknown as DeliveryRow;
}

const problem = (code: string, status: number, extra: Record<string, unknown> = {}) => ({
  type: `https://jangar.proompteng.ai/problems/${code}`,
  title: code,
  status,
  code,
  detail: `${code} happened`,
  ...extra,
});

describe('a run that does not exist, read from the delivery of its create', () => {
  it('is Pending and Accepted while policy and provisioning work on it', () => {
    expect(uncreatedRun(delivery('pending'))).toMatchObject({
      id: ID,
      name: 'fix-ci',
      uid: '',
      phase: 'Pending',
      labels: { team: 'a' },
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Submitted', lastTransitionTime: CREATED.toISOString() }],
    });
  });

  it('keeps the phase and conditions a final refusal gives it, dated when it was refused', () => {
    const blocked = { type: 'Blocked', status: 'True', reason: 'ConcurrencyLimit', message: 'waited in the queue' };
    const run = uncreatedRun(delivery('completed', 410, problem('queue_expired', 410, { phase: 'Failed', conditions: [blocked] })));
    expect(run).toMatchObject({ phase: 'Failed', uid: '', conditions: [{ ...blocked, lastTransitionTime: COMPLETED.toISOString() }] });
    expect(run?.updatedAt).toBe(COMPLETED.toISOString());
  });

  it('reads Cancelled once a delete took it out of its queue', () => {
    const cancelled = { type: 'Blocked', status: 'False', reason: 'Cancelled', message: 'deleted while it waited in its queue' };
    const run = uncreatedRun(delivery('completed', 410, problem('run_cancelled', 410, { phase: 'Cancelled', conditions: [cancelled] })));
    expect(run).toMatchObject({ phase: 'Cancelled', conditions: [cancelled] });
  });

  it('gives a refusal the reference has no condition for a Failed condition named after its code', () => {
    const run = uncreatedRun(delivery('completed', 403, problem('approval_denied', 403)));
    expect(run).toMatchObject({
      phase: 'Failed',
      conditions: [{ type: 'Failed', status: 'True', reason: 'ApprovalDenied', message: 'approval_denied happened' }],
    });
  });

  it('is not a run for a refusal a retry decides again, a create of another kind, or an answer it cannot read', () => {
    expect(uncreatedRun(delivery('retryable', 429, problem('concurrency_limit', 429)))).toBeUndefined();
    expect(uncreatedRun(delivery('pending', null, null, 'Agent'))).toBeUndefined();
    expect(uncreatedRun(delivery('completed', 403, { not: 'a problem' }))).toBeUndefined();
  });
});
