import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestMessage } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { POLICY_DATABASE } from '../src/database.js';
import { QueueStore } from '../src/queue/store.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;
let queue: QueueStore;

beforeAll(async () => {
  scratch = await scratchDatabase('queue-cancel', POLICY_DATABASE);
  db = scratch.db;
  queue = new QueueStore(db);
});

afterAll(async () => {
  await scratch?.stop();
});

const SIZES = { namespace: 10, cluster: undefined, maxWaitSeconds: 600 };

/** Queues a create of the AgentRun `name` in `namespace`. */
async function queued(namespace: string, name: string) {
  const message = RequestMessage.parse({
    deliveryId: name,
    requestKey: `alice:${name}`,
    correlationId: name,
    principal: { subject: 'alice' },
    namespace,
    occurredAt: new Date().toISOString(),
    payload: { id: randomUUID(), kind: 'AgentRun', verb: 'create', metadata: { namespace, name }, spec: {} },
  });
  const entry = await queue.enqueue(message, { agent: 'coder', reason: 'ConcurrencyLimit', detail: 'full' }, SIZES, randomUUID());
  if (!('row' in entry)) throw new Error('queue full');
  return entry.row;
}

const target = (namespace: string, name: string) => ({ namespace, kind: 'AgentRun', name });

describe('cancelling a queued run', () => {
  it('takes the waiting run of that name out of the queue, once, and hands the same delete its entry again', async () => {
    const row = await queued('c1', 'r1');
    const first = await queue.cancel(target('c1', 'r1'), 'alice:del-1');
    expect(first).toEqual({ cancelled: [expect.objectContaining({ id: row.id, state: 'Cancelled', settled_at: expect.any(String) })] });
    // A redelivered delete finds its own work; another delete finds no waiting run.
    expect(await queue.cancel(target('c1', 'r1'), 'alice:del-1')).toEqual(first);
    expect(await queue.cancel(target('c1', 'r1'), 'alice:del-2')).toBeUndefined();
    expect(await queue.lease(10, 30_000)).toEqual([]);
    expect((await queue.byRequestKey(row.request_key))?.state).toBe('Cancelled');
  });

  it('finds nothing for a run that does not wait, or waits under another name, kind or namespace', async () => {
    await queued('c2', 'r2');
    expect(await queue.cancel(target('c2', 'other'), 'alice:del-3')).toBeUndefined();
    expect(await queue.cancel(target('elsewhere', 'r2'), 'alice:del-3')).toBeUndefined();
    expect(await queue.cancel({ ...target('c2', 'r2'), kind: 'OrchestrationRun' }, 'alice:del-3')).toBeUndefined();
  });

  it('says the run is leaving while the drainer holds its lease, and cancels it once the lease is given back', async () => {
    const row = await queued('c3', 'r3');
    const leased = await queue.lease(100, 30_000);
    expect(leased.map((r) => r.id)).toContain(row.id);
    expect(await queue.cancel(target('c3', 'r3'), 'alice:del-4')).toEqual({ leaving: true });
    await queue.unlease(leased.map((r) => r.id));
    expect(await queue.cancel(target('c3', 'r3'), 'alice:del-4')).toMatchObject({ cancelled: [{ id: row.id, state: 'Cancelled' }] });
  });
});
