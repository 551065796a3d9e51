import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionPayload } from '@jangar/contracts';
import { createLogger } from '@jangar/service-kit';
import { POLICY_DATABASE } from '../src/database.js';
import { tryQueued, type PolicyDeps } from '../src/handler.js';
import { QueueStore } from '../src/queue/store.js';
import { DecisionStore } from '../src/decisions/store.js';
import { queueRun } from './queued-run.js';
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
    const { row: entry } = await queueRun(queue, 'q1', 'r1', 'alice:d1');
    // Stored by an older release whose request shape this one no longer reads.
    await scratch.db.query(`update policy.run_queue set message = message - 'payload' where id = ?`, [entry.id]);
    const [row] = await queue.waiting(10);
    // Only the queue and the log are reached: nothing else can act on a request that does not parse.
    const deps = { queue, logger: createLogger('test', 'silent') } as unknown as PolicyDeps;
    expect(await tryQueued(row!, deps)).toEqual({});
    expect(await queue.byRequestKey('alice:d1')).toMatchObject({ state: 'Rejected', settled_at: expect.any(String) });
    expect(await queue.waiting(10)).toEqual([]);
  });

  it("lets an entry go without a decision of its own when another replica's decision of the attempt admitted the run", async () => {
    const { message, row: entry } = await queueRun(queue, 'q1', 'r2', 'alice:d2');
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
    expect(await tryQueued(entry, deps)).toEqual({});
    expect((await queue.byRequestKey('alice:d2'))?.state).toBe('Admitted');
  });
});
