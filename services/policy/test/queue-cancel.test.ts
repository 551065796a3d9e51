import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import { POLICY_DATABASE } from '../src/database.js';
import { RequestMessage } from '@jangar/contracts';
import { QueueStore, toQueueSummary, type QueueRow } from '../src/queue/store.js';
import { DecisionStore, type KeptDecision } from '../src/decisions/store.js';
import { QueueDrainer, type TryQueued } from '../src/queue/drain.js';
import { queueRun } from './queued-run.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;
let queue: QueueStore;
let decisions: DecisionStore;

beforeAll(async () => {
  scratch = await scratchDatabase('queue-cancel', POLICY_DATABASE);
  db = scratch.db;
  queue = new QueueStore(db);
  decisions = new DecisionStore(db);
});

afterAll(async () => {
  await scratch?.stop();
});

const OWNER = randomUUID();

/** Queues a create of the AgentRun `name` in `namespace` (Agent coder). */
const queued = async (namespace: string, name: string) => (await queueRun(queue, namespace, name, `alice:${name}`, 'coder')).row;

const target = (namespace: string, name: string) => ({ namespace, kind: 'AgentRun', name });

/** A delete's cancellation of `entry`, as the attempt's decision. */
const cancellationOf = (entry: QueueRow): KeptDecision => {
  const settledAt = new Date().toISOString();
  return {
    decision: {
      request: RequestMessage.parse(entry.message).payload,
      verdict: 'deny',
      mode: 'enforce',
      violations: [],
      policyVersion: 'queue',
      evaluatedAt: settledAt,
      queue: { ...toQueueSummary(entry), state: 'Cancelled', settledAt },
    },
    error: { code: 'run_cancelled', detail: 'deleted while it waited in its queue' },
  };
};

/** What a delete does to the queue: takes out every entry it may cancel, each with its cancellation kept. */
async function cancel(t: ReturnType<typeof target>, requestKey: string) {
  const found = await queue.cancellable(t, requestKey);
  if (found === undefined || 'leaving' in found) return found;
  const cancelled: QueueRow[] = [];
  for (const entry of found.entries) cancelled.push((await queue.cancel(entry, requestKey, cancellationOf(entry), decisions)).row ?? entry);
  return { cancelled };
}

describe('cancelling a queued run', () => {
  it('takes the waiting run of that name out of the queue, once, and hands the same delete its entry again', async () => {
    const row = await queued('c1', 'r1');
    const first = await cancel(target('c1', 'r1'), 'alice:del-1');
    expect(first).toEqual({ cancelled: [expect.objectContaining({ id: row.id, state: 'Cancelled', settled_at: expect.any(String) })] });
    // A redelivered delete finds its own work; another delete finds no waiting run.
    expect(await cancel(target('c1', 'r1'), 'alice:del-1')).toEqual(first);
    expect(await cancel(target('c1', 'r1'), 'alice:del-2')).toBeUndefined();
    expect(await queue.waiting(100)).not.toContainEqual(expect.objectContaining({ id: row.id }));
    expect(await queue.lease(row.id, 30_000, OWNER)).toBeUndefined();
    expect((await queue.byRequestKey(row.request_key))?.state).toBe('Cancelled');
  });

  it('keeps one cancellation of an entry two deletes found waiting at once, marked with the key of the delete it is', async () => {
    const entry = await queued('c6', 'r6');
    const [one, two] = [
      await queue.cancellable(target('c6', 'r6'), 'alice:del-7'),
      await queue.cancellable(target('c6', 'r6'), 'alice:del-8'),
    ];
    expect([one, two]).toEqual([{ entries: [entry] }, { entries: [entry] }]);
    const first = cancellationOf(entry);
    expect((await queue.cancel(entry, 'alice:del-7', first, decisions)).row).toMatchObject({ id: entry.id, state: 'Cancelled' });
    expect(await queue.cancel(entry, 'alice:del-8', cancellationOf(entry), decisions)).toEqual({ standing: first });
    expect(await queue.cancellable(target('c6', 'r6'), 'alice:del-7')).toMatchObject({ entries: [{ id: entry.id, state: 'Cancelled' }] });
    expect(await queue.cancellable(target('c6', 'r6'), 'alice:del-8')).toBeUndefined();
  });

  it('finds nothing for a run that does not wait, or waits under another name, kind or namespace', async () => {
    await queued('c2', 'r2');
    expect(await cancel(target('c2', 'other'), 'alice:del-3')).toBeUndefined();
    expect(await cancel(target('elsewhere', 'r2'), 'alice:del-3')).toBeUndefined();
    expect(await cancel({ ...target('c2', 'r2'), kind: 'OrchestrationRun' }, 'alice:del-3')).toBeUndefined();
  });

  it('says the run is leaving while the drainer holds its lease, and cancels it once the lease is given back', async () => {
    const row = await queued('c3', 'r3');
    expect(await queue.lease(row.id, 30_000, OWNER)).toMatchObject({ id: row.id });
    expect(await cancel(target('c3', 'r3'), 'alice:del-4')).toEqual({ leaving: true });
    await queue.unlease(row.id, OWNER);
    expect(await cancel(target('c3', 'r3'), 'alice:del-4')).toMatchObject({ cancelled: [{ id: row.id, state: 'Cancelled' }] });
  });

  it('lets only the owner of a lease renew or give it back, and another drainer take it once it lapsed', async () => {
    const row = await queued('c4', 'r4');
    const other = randomUUID();
    expect(await queue.lease(row.id, 30_000, OWNER)).toBeDefined();
    expect(await queue.lease(row.id, 30_000, other)).toBeUndefined();
    expect(await queue.renew(row.id, 30_000, other)).toBe(false);
    await queue.unlease(row.id, other);
    expect(await queue.waiting(100)).not.toContainEqual(expect.objectContaining({ id: row.id }));
    expect(await queue.renew(row.id, 30_000, OWNER)).toBe(true);
    // A lease that ran out (its owner died) is anyone's.
    await db.query(`update policy.run_queue set leased_until = now() - interval '1 second' where id = ?`, [row.id]);
    expect(await queue.lease(row.id, 30_000, other)).toMatchObject({ id: row.id });
    expect(await queue.renew(row.id, 30_000, OWNER)).toBe(false);
  });
});

describe('a delete while the drainer works the queue', () => {
  it('cancels a run waiting behind a slow try, which is then not tried, and never the run being tried', async () => {
    const slow = await queued('c5', 'slow');
    const behind = await queued('c5', 'behind');
    const leaseMs = 300;
    const tried: string[] = [];
    const duringTry: unknown[] = [];
    const tryRun: TryQueued = async (r) => {
      if (r.namespace !== 'c5') return { blocked: ['namespace'] };
      tried.push(r.name!);
      if (r.id === slow.id) {
        // A try that outlasts its lease several times over: an admission waiting on the API server, say.
        await new Promise((resolve) => setTimeout(resolve, leaseMs * 4));
        duringTry.push(await cancel(target('c5', 'slow'), 'alice:del-5'));
        duringTry.push(await cancel(target('c5', 'behind'), 'alice:del-6'));
      }
      return {};
    };
    await new QueueDrainer(queue, tryRun, createLogger('test', 'silent'), { batch: 100, maxPerPass: 1000, leaseMs }).pass();
    expect(duringTry).toEqual([{ leaving: true }, { cancelled: [expect.objectContaining({ id: behind.id, state: 'Cancelled' })] }]);
    expect(tried).toEqual(['slow']);
  });
});
