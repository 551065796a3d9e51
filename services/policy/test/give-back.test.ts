import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionPayload } from '@jangar/contracts';
import { POLICY_DATABASE } from '../src/database.js';
import { createLogger } from '@jangar/service-kit';
import { giveBackLostAdmission, keepFirst, keepSettling } from '../src/decisions/give-back.js';
import { DecisionStore, type KeptDecision } from '../src/decisions/store.js';
import { QueueStore, toQueueSummary } from '../src/queue/store.js';
import { SlotStore } from '../src/slots/store.js';
import { queueRun } from './queued-run.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

const NS = 'give-back';
let scratch: ScratchDatabase;
let slots: SlotStore;
let queue: QueueStore;

beforeAll(async () => {
  scratch = await scratchDatabase('give-back', POLICY_DATABASE);
  slots = new SlotStore(scratch.db);
  queue = new QueueStore(scratch.db);
});

afterAll(async () => {
  await scratch?.stop();
});

const decision = (verdict: DecisionPayload['verdict'], extra: Partial<DecisionPayload> = {}): DecisionPayload => ({
  request: { id: '00000000-0000-4000-8000-000000000001', kind: 'AgentRun', verb: 'create', metadata: { namespace: NS, name: 'r' } },
  verdict,
  mode: 'enforce',
  violations: [],
  policyVersion: 'v1',
  evaluatedAt: '2026-11-26T21:00:00.000Z',
  ...extra,
});
const admitted: KeptDecision = { decision: decision('allow') };
const refused: KeptDecision = { decision: decision('deny'), error: { code: 'concurrency_limit', detail: '1 of 1 runs are active' } };

/** Takes a slot for `key`, as an admission does. */
const takeSlot = (key: string) =>
  slots.admit(
    { requestKey: key, attempt: 1, runId: randomUUID(), kind: 'AgentRun', namespace: NS, name: key, agent: undefined },
    { limits: {} },
  );

/** Whether the slot taken by `key` is still held (a slot given back is no more). */
const holds = async (key: string) =>
  (await scratch.db.query<{ held: boolean }>('select released_at is null as held from policy.run_slots where request_key = ?', [key]))[0]
    ?.held ?? false;

/** How many rows of `table` are `key`'s. */
const rowsOf = async (table: 'run_slots' | 'budget_charges', key: string) =>
  Number((await scratch.db.query<{ n: string }>(`select count(*) as n from policy.${table} where request_key = ?`, [key]))[0]?.n ?? 0);

/** Queues request `key`, as an admission refused at a limit with a queue does; returns the decision saying so. */
async function queued(key: string): Promise<KeptDecision> {
  const { row } = await queueRun(queue, NS, key, key);
  return { decision: decision('pending', { queue: toQueueSummary(row) }) };
}

describe("an admission that lost to another replica's decision of the same attempt", () => {
  it('gives back the slot it took when the standing decision refused the run', async () => {
    await takeSlot('k-1');
    expect(await giveBackLostAdmission('k-1', admitted, refused, { slots, queue })).toBe(NS);
    expect(await holds('k-1')).toBe(false);
  });

  it('undoes the admission whole: no slot row left in the rate window, and no Budget charge', async () => {
    await takeSlot('k-11');
    await scratch.db.query("insert into policy.budget_charges (budget, request_key) values ('team-budget', 'k-11')");
    expect(await giveBackLostAdmission('k-11', admitted, refused, { slots, queue })).toBe(NS);
    expect([await rowsOf('run_slots', 'k-11'), await rowsOf('budget_charges', 'k-11')]).toEqual([0, 0]);
  });

  it('keeps the slot when the standing decision admitted the run too: they took one slot between them', async () => {
    await takeSlot('k-2');
    expect(await giveBackLostAdmission('k-2', admitted, { decision: decision('allow') }, { slots, queue })).toBeUndefined();
    expect(await holds('k-2')).toBe(true);
  });

  it('gives back the slot when the standing decision queued the run, and keeps the queue entry that decision made', async () => {
    const standing = await queued('k-3');
    await takeSlot('k-3');
    expect(await giveBackLostAdmission('k-3', admitted, standing, { slots, queue })).toBe(NS);
    expect(await holds('k-3')).toBe(false);
    expect((await queue.byRequestKey('k-3'))?.state).toBe('Queued');
  });

  it('keeps the slot when the run the standing decision queued is leaving the queue on it, leased or admitted', async () => {
    const leased = await queued('k-8');
    await takeSlot('k-8');
    // A drainer is trying the entry: it admits a request that holds a slot without counting it again.
    expect(await queue.lease(leased.decision.queue!.id, 30_000, randomUUID())).toBeDefined();
    expect(await giveBackLostAdmission('k-8', admitted, leased, { slots, queue })).toBeUndefined();
    expect(await holds('k-8')).toBe(true);
    const admittedFromQueue = await queued('k-9');
    await takeSlot('k-9');
    await queue.settle({ id: admittedFromQueue.decision.queue!.id, attempt: 1 }, 'Admitted');
    expect(await giveBackLostAdmission('k-9', admitted, admittedFromQueue, { slots, queue })).toBeUndefined();
    expect(await holds('k-9')).toBe(true);
  });

  it('leaves its own queue entry to the drainer that is trying it', async () => {
    const ours = await queued('k-10');
    expect(await queue.lease(ours.decision.queue!.id, 30_000, randomUUID())).toBeDefined();
    await giveBackLostAdmission('k-10', ours, admitted, { slots, queue });
    expect((await queue.byRequestKey('k-10'))?.state).toBe('Queued');
  });

  it('takes its own queue entry out of the queue when the standing decision admitted or refused the run', async () => {
    const oursAdmittedElsewhere = await queued('k-4');
    expect(await giveBackLostAdmission('k-4', oursAdmittedElsewhere, admitted, { slots, queue })).toBeUndefined();
    expect((await queue.byRequestKey('k-4'))?.state).toBe('Admitted');
    const oursRefusedElsewhere = await queued('k-5');
    await giveBackLostAdmission('k-5', oursRefusedElsewhere, refused, { slots, queue });
    expect((await queue.byRequestKey('k-5'))?.state).toBe('Rejected');
    expect((await queue.waiting(100)).map((r) => r.request_key)).toContain('k-3');
  });

  it('is what keeping a decision does when another replica kept its own first, and it tells whose slot was freed', async () => {
    const decisions = new DecisionStore(scratch.db);
    const freed: string[] = [];
    const deps = { decisions, slots, queue, logger: createLogger('test', 'silent'), onSlotReleased: (ns: string) => freed.push(ns) };
    // The other replica's refusal is kept while this one admits the same attempt.
    await decisions.keep('k-6', 1, refused);
    await takeSlot('k-6');
    const ours: KeptDecision = { decision: decision('allow') };
    expect(await keepFirst({ requestKey: 'k-6', attempt: 1 }, ours, deps)).toEqual(refused);
    expect(await holds('k-6')).toBe(false);
    expect(freed).toEqual([NS]);
    // Alone, a decision is kept and stands, and nothing is given back.
    await takeSlot('k-7');
    const alone: KeptDecision = { decision: decision('allow') };
    expect(await keepFirst({ requestKey: 'k-7', attempt: 1 }, alone, deps)).toBe(alone);
    expect(await holds('k-7')).toBe(true);
  });
});

describe('a drainer settling a queued attempt', () => {
  const logger = createLogger('test', 'silent');
  /** `key` queued with its pending decision kept (unless `kept` is false), leased by a drainer whose admission took its slot. */
  async function leasedWithSlot(key: string, kept = true) {
    const decisions = new DecisionStore(scratch.db);
    const pending = await queued(key);
    if (kept) await decisions.keep(key, 1, pending);
    const summary = pending.decision.queue!;
    expect(await queue.lease(summary.id, 30_000, randomUUID())).toBeDefined();
    await takeSlot(key);
    const ours: KeptDecision = { decision: decision('allow', { queue: { ...summary, state: 'Admitted' } }) };
    return { decisions, summary, entry: { id: summary.id, attempt: 1 }, ours };
  }

  it('admits the run in place of the pending decision that queued it', async () => {
    const { decisions, entry, ours } = await leasedWithSlot('k-20');
    expect(await keepSettling({ requestKey: 'k-20', attempt: 1 }, ours, { decisions, slots, queue, logger }, entry)).toBe(ours);
    expect(await decisions.first('k-20', 1)).toEqual(ours);
    expect(await holds('k-20')).toBe(true);
    // The caller settles the entry once the decision is on the bus.
    expect((await queue.byRequestKey('k-20'))?.state).toBe('Queued');
  });

  it('lets its admission go when another replica kept a refusal of the attempt after the drainer read none, and answers with that', async () => {
    // The replica that queued the run died before keeping its pending decision; a redelivery was refused.
    const { decisions, entry, ours } = await leasedWithSlot('k-21', false);
    await decisions.keep('k-21', 1, refused);
    const freed: string[] = [];
    const deps = { decisions, slots, queue, logger, onSlotReleased: (ns: string) => freed.push(ns) };
    expect(await keepSettling({ requestKey: 'k-21', attempt: 1 }, ours, deps, entry)).toEqual(refused);
    expect((await queue.byRequestKey('k-21'))?.state).toBe('Rejected');
    expect(await rowsOf('run_slots', 'k-21')).toBe(0);
    expect(freed).toEqual([NS]);
  });

  it('answers as an earlier try of the same entry did, whose entry a crash left waiting, and keeps the slot it admitted on', async () => {
    const { decisions, summary, entry } = await leasedWithSlot('k-22');
    const earlier: KeptDecision = { decision: decision('allow', { queue: { ...summary, state: 'Admitted' }, policyVersion: 'v0' }) };
    await decisions.settle('k-22', 1, earlier);
    // Tried again, the run is refused now (say, a rule changed): the earlier admission stands.
    const now: KeptDecision = { decision: decision('deny', { queue: { ...summary, state: 'Rejected' } }), error: refused.error };
    expect(await keepSettling({ requestKey: 'k-22', attempt: 1 }, now, { decisions, slots, queue, logger }, entry)).toEqual(earlier);
    expect((await queue.byRequestKey('k-22'))?.state).toBe('Admitted');
    expect(await holds('k-22')).toBe(true);
  });

  it('keeps an approved run that must wait in its queue, pending again, in place of the pending that held it for approval', async () => {
    const decisions = new DecisionStore(scratch.db);
    const awaitingApproval: KeptDecision = { decision: decision('pending', { policyVersion: 'approval-gate' }) };
    await decisions.keep('k-23', 1, awaitingApproval);
    const nowQueued = await queued('k-23');
    expect(await keepSettling({ requestKey: 'k-23', attempt: 1 }, nowQueued, { decisions, slots, queue, logger })).toBe(nowQueued);
    expect(await decisions.first('k-23', 1)).toEqual(nowQueued);
    expect((await queue.byRequestKey('k-23'))?.state).toBe('Queued');
  });

  it('lets its admission go when a delete cancelled the run while its lease lapsed, and answers with the cancellation', async () => {
    const { decisions, summary, entry, ours } = await leasedWithSlot('k-24');
    const cancellation: KeptDecision = {
      decision: decision('deny', { queue: { ...summary, state: 'Cancelled' } }),
      error: { code: 'run_cancelled', detail: 'bob deleted the run while it waited in its queue; it never started' },
    };
    await decisions.settle('k-24', 1, cancellation);
    expect(await keepSettling({ requestKey: 'k-24', attempt: 1 }, ours, { decisions, slots, queue, logger }, entry)).toEqual(cancellation);
    expect((await queue.byRequestKey('k-24'))?.state).toBe('Cancelled');
    expect(await rowsOf('run_slots', 'k-24')).toBe(0);
  });
});
