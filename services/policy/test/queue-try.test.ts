import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestMessage, type DecisionPayload } from '@jangar/contracts';
import { createLogger } from '@jangar/service-kit';
import { POLICY_DATABASE } from '../src/database.js';
import { tryQueued, type PolicyDeps } from '../src/handler.js';
import { QueueStore } from '../src/queue/store.js';
import { DecisionStore } from '../src/decisions/store.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let queue: QueueStore;

beforeAll(async () => {
  scratch = await scratchDatabase('queue-try', POLICY_DATABASE);
  queue = new QueueStore(scratch.db);
});

afterAll(async () => {
  await scratch?.stop();
});

describe('trying a queued run', () => {
  it('takes a run whose stored request no longer parses out of the queue at once, rather than trying it on every pass', async () => {
    const message = RequestMessage.parse({
      deliveryId: 'd1',
      requestKey: 'alice:d1',
      correlationId: 'd1',
      principal: { subject: 'alice' },
      namespace: 'q1',
      occurredAt: new Date().toISOString(),
      payload: { id: randomUUID(), kind: 'AgentRun', verb: 'create', metadata: { namespace: 'q1', name: 'r1' }, spec: {} },
    });
    const sizes = { namespace: 10, cluster: undefined, maxWaitSeconds: 600 };
    const entry = await queue.enqueue(message, { agent: undefined, reason: 'ConcurrencyLimit', detail: 'full' }, sizes, randomUUID());
    if (!('row' in entry)) throw new Error('queue full');
    // Stored by an older release whose request shape this one no longer reads.
    await scratch.db.query(`update policy.run_queue set message = message - 'payload' where id = ?`, [entry.row.id]);
    const [row] = await queue.waiting(10);
    // Only the queue and the log are reached: nothing else can act on a request that does not parse.
    const deps = { queue, logger: createLogger('test', 'silent') } as unknown as PolicyDeps;
    expect(await tryQueued(row!, deps)).toEqual({});
    expect(await queue.byRequestKey('alice:d1')).toMatchObject({ state: 'Rejected', settled_at: expect.any(String) });
    expect(await queue.waiting(10)).toEqual([]);
  });

  it("lets an entry go without a decision of its own when another replica's decision of the attempt admitted the run", async () => {
    const message = RequestMessage.parse({
      deliveryId: 'd2',
      requestKey: 'alice:d2',
      correlationId: 'd2',
      principal: { subject: 'alice' },
      namespace: 'q1',
      occurredAt: new Date().toISOString(),
      payload: { id: randomUUID(), kind: 'AgentRun', verb: 'create', metadata: { namespace: 'q1', name: 'r2' }, spec: {} },
    });
    const sizes = { namespace: 10, cluster: undefined, maxWaitSeconds: 600 };
    const entry = await queue.enqueue(message, { agent: undefined, reason: 'ConcurrencyLimit', detail: 'full' }, sizes, randomUUID());
    if (!('row' in entry)) throw new Error('queue full');
    const decisions = new DecisionStore(scratch.db);
    const allow: DecisionPayload = {
      request: message.payload,
      verdict: 'allow',
      mode: 'enforce',
      violations: [],
      policyVersion: 'v1',
      evaluatedAt: new Date().toISOString(),
    };
    await decisions.keep('alice:d2', 1, { decision: allow });
    // No bus here: a decision published for the entry would fail the try.
    const deps = { queue, decisions, logger: createLogger('test', 'silent') } as unknown as PolicyDeps;
    expect(await tryQueued(entry.row, deps)).toEqual({});
    expect((await queue.byRequestKey('alice:d2'))?.state).toBe('Admitted');
  });
});
