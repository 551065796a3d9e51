import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_NAMES, streamDefinitions, type DecisionPayload, type QueueState, type RequestMessage } from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { createLogger, ensureStreams } from '@jangar/service-kit';
import { POLICY_DATABASE } from '../src/database.js';
import { cancelQueued, tryQueued, type PolicyDeps } from '../src/handler.js';
import { QueueStore, toQueueSummary, type QueueRow } from '../src/queue/store.js';
import { SlotStore } from '../src/slots/store.js';
import { DecisionStore } from '../src/decisions/store.js';
import { queueRun } from './queued-run.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let queue: QueueStore;
let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  [scratch, nats] = await Promise.all([scratchDatabase('queue-try', POLICY_DATABASE), scratchNats('queue-try')]);
  queue = new QueueStore(scratch.db);
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, [streamDefinitions().decisions, streamDefinitions().outcomes]);
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([scratch?.stop(), nats?.stop()]);
});

/** Every message on `subject`'s stream whose request key is `requestKey`, oldest first. */
async function publishedFor(stream: string, requestKey: string) {
  const { state } = await jsm.streams.info(stream);
  const found: Array<{ subject: string; payload: { verdict?: string; result?: string } }> = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    const body = m?.json<{ requestKey: string; payload: { verdict?: string; result?: string } }>();
    if (body?.requestKey === requestKey) found.push({ subject: m!.subject, payload: body.payload });
  }
  return found;
}

/** A decision of the queued request `message` with `verdict`, as policy publishes it. */
const decisionOf = (
  message: RequestMessage,
  verdict: DecisionPayload['verdict'],
  extra: Partial<DecisionPayload> = {},
): DecisionPayload => ({
  request: message.payload,
  verdict,
  mode: 'enforce',
  violations: [],
  policyVersion: 'v1',
  evaluatedAt: new Date().toISOString(),
  ...extra,
});

/** The decision of `message` with which its queue `entry` left the queue as `state` just now. */
const leftAs = (message: RequestMessage, entry: QueueRow, verdict: DecisionPayload['verdict'], state: QueueState) =>
  decisionOf(message, verdict, { queue: { ...toQueueSummary(entry), state, settledAt: new Date().toISOString() } });

/** What a try that publishes needs: the bus, the queue, the decisions and the slots. */
const publishingDeps = (decisions: DecisionStore) =>
  ({
    js: jetstream(nc),
    queue,
    decisions,
    slots: new SlotStore(scratch.db),
    logger: createLogger('test', 'silent'),
  }) as unknown as PolicyDeps;

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
    await decisions.keep('alice:d2', 1, { decision: decisionOf(message, 'allow') });
    // No bus here: a decision published for the entry would fail the try.
    const deps = { queue, decisions, logger: createLogger('test', 'silent') } as unknown as PolicyDeps;
    expect(await tryQueued(entry, deps)).toEqual({});
    expect((await queue.byRequestKey('alice:d2'))?.state).toBe('Admitted');
  });

  it('answers a run whose wait ran out as an earlier try of the entry did, not with an expiry, when a crash left the entry waiting', async () => {
    const { message, row: entry } = await queueRun(queue, 'q1', 'r3', 'alice:d3');
    const decisions = new DecisionStore(scratch.db);
    const allow = leftAs(message, entry, 'allow', 'Admitted');
    // An earlier try admitted the run and kept that, then died before marking the entry.
    await decisions.settle('alice:d3', 1, { decision: allow });
    await scratch.db.query(`update policy.run_queue set expires_at = now() - interval '1 second' where id = ?`, [entry.id]);
    const [due] = await queue.waiting(10);
    expect(due).toMatchObject({ id: entry.id, due: true });
    expect(await tryQueued(due!, publishingDeps(decisions))).toEqual({});
    expect((await queue.byRequestKey('alice:d3'))?.state).toBe('Admitted');
    expect((await publishedFor(STREAM_NAMES.decisions, 'alice:d3')).map((m) => m.payload.verdict)).toEqual(['allow']);
    expect(await publishedFor(STREAM_NAMES.outcomes, 'alice:d3')).toEqual([]);
  });

  it('answers a run whose expiry an earlier try kept, and marks it Expired, when a crash left the entry waiting', async () => {
    const { message, row: entry } = await queueRun(queue, 'q1', 'r4', 'alice:d4');
    const decisions = new DecisionStore(scratch.db);
    const expiry = leftAs(message, entry, 'deny', 'Expired');
    await decisions.settle('alice:d4', 1, { decision: expiry, error: { code: 'queue_expired', detail: 'waited too long' } });
    const waiting = (await queue.waiting(10)).find((r) => r.id === entry.id);
    expect(await tryQueued(waiting!, publishingDeps(decisions))).toEqual({});
    expect((await queue.byRequestKey('alice:d4'))?.state).toBe('Expired');
    expect((await publishedFor(STREAM_NAMES.decisions, 'alice:d4')).map((m) => m.payload.verdict)).toEqual(['deny']);
    expect((await publishedFor(STREAM_NAMES.outcomes, 'alice:d4')).map((m) => m.payload.result)).toEqual(['rejected']);
  });

  it("leaves a retry's attempt waiting in the entry when a late try of the attempt before it settles", async () => {
    const { message, row: first } = await queueRun(queue, 'q1', 'r5', 'alice:d5');
    expect(await queue.settle(first, 'Rejected')).toBeDefined();
    // The client retried its 429: attempt 2 waits in the same entry.
    const retry = { ...message, attempt: 2 };
    const entry = { agent: undefined, reason: 'ConcurrencyLimit' as const, detail: 'full' };
    const again = await queue.enqueue(retry, entry, { namespace: 10, cluster: undefined, maxWaitSeconds: 600 }, randomUUID());
    expect('row' in again && again.row).toMatchObject({ id: first.id, attempt: 2, state: 'Queued' });
    expect(await queue.settle(first, 'Admitted')).toBeUndefined();
    expect(await queue.byRequestKey('alice:d5')).toMatchObject({ attempt: 2, state: 'Queued' });
  });
});

describe('deleting a queued run', () => {
  /** bob's delete of the AgentRun `name` in q2. */
  const deleteOf = (name: string): RequestMessage => ({
    deliveryId: `del-${name}`,
    requestKey: `bob:del-${name}`,
    attempt: 1,
    correlationId: `del-${name}`,
    principal: { subject: 'bob', roles: [] },
    namespace: 'q2',
    occurredAt: new Date().toISOString(),
    payload: { id: randomUUID(), kind: 'AgentRun', verb: 'delete', metadata: { namespace: 'q2', name } },
  });
  const target = (name: string) => ({ namespace: 'q2', kind: 'AgentRun', name });

  it('does not cancel a run a drainer admitted first, past its lease, and leaves the delete to come back for the run', async () => {
    const { message, row: entry } = await queueRun(queue, 'q2', 'r6', 'alice:d6');
    const decisions = new DecisionStore(scratch.db);
    // The drainer kept its admission; its lease lapsed before it marked the entry.
    const admitted = leftAs(message, entry, 'allow', 'Admitted');
    await decisions.settle('alice:d6', 1, { decision: admitted });
    await expect(cancelQueued(deleteOf('r6'), target('r6'), publishingDeps(decisions))).rejects.toThrow(/leaving its queue/);
    expect(await decisions.first('alice:d6', 1)).toEqual({ decision: admitted });
    // The entry leaves the queue as admitted, its admission published again, without waiting for
    // a drainer, which a full scope ahead of it may never let try it: the delete comes back for the run.
    expect((await queue.byRequestKey('alice:d6'))?.state).toBe('Admitted');
    expect((await publishedFor(STREAM_NAMES.decisions, 'alice:d6')).map((m) => m.payload.verdict)).toEqual(['allow']);
    expect(await cancelQueued(deleteOf('r6'), target('r6'), publishingDeps(decisions))).toBe(false);
  });

  it("goes on to the run another replica admitted, taking out an entry that replica's twin queued and left", async () => {
    const { message } = await queueRun(queue, 'q2', 'r8', 'alice:d8');
    const decisions = new DecisionStore(scratch.db);
    // Admitted directly by one replica while another queued the same attempt and died.
    await decisions.keep('alice:d8', 1, { decision: decisionOf(message, 'allow') });
    expect(await cancelQueued(deleteOf('r8'), target('r8'), publishingDeps(decisions))).toBe(false);
    expect((await queue.byRequestKey('alice:d8'))?.state).toBe('Admitted');
    expect(await publishedFor(STREAM_NAMES.decisions, 'alice:d8')).toEqual([]);
  });

  it('leaves a later delete of a cancelled run to go on as any delete, and answers the first, delivered again, as it did', async () => {
    const { row: entry } = await queueRun(queue, 'q2', 'r9', 'alice:d9');
    const decisions = new DecisionStore(scratch.db);
    const [first, second] = [deleteOf('r9'), { ...deleteOf('r9'), deliveryId: 'del-r9-again', requestKey: 'bob:del-r9-again' }];
    expect(await cancelQueued(first, target('r9'), publishingDeps(decisions))).toBe(true);
    expect(await cancelQueued(second, target('r9'), publishingDeps(decisions))).toBe(false);
    expect(await cancelQueued(first, target('r9'), publishingDeps(decisions))).toBe(true);
    expect(await decisions.first('alice:d9', 1)).toMatchObject({ decision: { queue: { id: entry.id, state: 'Cancelled' } } });
    expect((await publishedFor(STREAM_NAMES.decisions, 'alice:d9')).map((m) => m.payload.verdict)).toEqual(['deny']);
  });

  it('cancels a waiting run by keeping its cancellation first, which a drainer trying it then answers with', async () => {
    const { row: entry } = await queueRun(queue, 'q2', 'r7', 'alice:d7');
    const decisions = new DecisionStore(scratch.db);
    expect(await cancelQueued(deleteOf('r7'), target('r7'), publishingDeps(decisions))).toBe(true);
    expect((await queue.byRequestKey('alice:d7'))?.state).toBe('Cancelled');
    const kept = await decisions.first('alice:d7', 1);
    expect(kept).toMatchObject({
      decision: { verdict: 'deny', queue: { id: entry.id, state: 'Cancelled' } },
      error: { code: 'run_cancelled' },
    });
    expect((await publishedFor(STREAM_NAMES.decisions, 'alice:d7')).map((m) => m.payload.verdict)).toEqual(['deny']);
    // Redelivered, the delete finds its own cancellation and answers as before.
    expect(await cancelQueued(deleteOf('r7'), target('r7'), publishingDeps(decisions))).toBe(true);
    expect(await decisions.first('alice:d7', 1)).toEqual(kept);
  });
});
