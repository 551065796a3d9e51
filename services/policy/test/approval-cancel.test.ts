import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestMessage } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { POLICY_DATABASE } from '../src/database.js';
import { ApprovalStore, type ApprovalRow } from '../src/approvals/store.js';
import { sweepApprovals } from '../src/approvals/endpoints.js';
import type { PolicyDeps } from '../src/handler.js';
import { createLogger } from '@jangar/service-kit';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;
let approvals: ApprovalStore;

beforeAll(async () => {
  scratch = await scratchDatabase('approval-cancel', POLICY_DATABASE);
  db = scratch.db;
  approvals = new ApprovalStore(db);
});

afterAll(async () => {
  await scratch?.stop();
});

const GATES = {
  gates: [
    { ruleId: 'approval-required', path: 'spec.runtime.config.serviceAccountName', reason: 'runs as "deployer"', mode: 'enforce' as const },
  ],
  approverRole: 'approver',
  expireAfterSeconds: 600,
};

/** Holds alice's `verb` of the AgentRun `name` in `namespace` for approval. */
async function held(namespace: string, name: string, verb: 'create' | 'delete' = 'create') {
  const deliveryId = `${verb}-${name}-${randomUUID()}`;
  const message = RequestMessage.parse({
    deliveryId,
    requestKey: `alice:${deliveryId}`,
    correlationId: deliveryId,
    principal: { subject: 'alice' },
    namespace,
    occurredAt: new Date().toISOString(),
    payload: { id: randomUUID(), kind: 'AgentRun', verb, metadata: { namespace, name }, spec: verb === 'create' ? {} : undefined },
  });
  return approvals.hold(message, GATES, randomUUID());
}

/** bob's decision of approval `id`. */
const decision = (id: string, verdict: 'approve' | 'deny', deliveryId = `bob-${randomUUID()}`) => ({
  id,
  verdict,
  deliveryId,
  principal: { subject: 'bob', roles: ['approver'] },
  namespaces: ['*'],
});

const target = (namespace: string, name: string) => ({ namespace, kind: 'AgentRun', name });

describe('deciding an approval past its expiry', () => {
  it("answers the attempt that found it overdue, and that attempt's retry, with the expiry; anyone after finds it decided", async () => {
    const row = await held('x1', 'late');
    await db.query("update policy.approvals set expires_at = now() - interval '1 second' where id = ?", [row.id]);
    const first = await approvals.decide(decision(row.id, 'approve', 'bob-late'));
    expect(first).toEqual({ expired: expect.objectContaining({ id: row.id, state: 'Expired', decided_by: null }) });
    // The same deliveryId again, as a client retries after a lost answer: the same 410, not a 409.
    expect(await approvals.decide(decision(row.id, 'approve', 'bob-late'))).toEqual(first);
    await expect(approvals.decide(decision(row.id, 'approve', 'bob-later'))).rejects.toMatchObject({
      code: 'approval_already_decided',
      message: expect.stringContaining('expired'),
    });
  });
});

describe('deciding an approval with a deliveryId sent before', () => {
  it('replays the same decision, and refuses another decision or another approval with idempotency_key_reused', async () => {
    const [x, y] = [await held('keys', 'x'), await held('keys', 'y')];
    const k = `bob-${randomUUID()}`;
    expect(await approvals.decide(decision(x.id, 'approve', k))).toMatchObject({ row: { state: 'Approved' }, replayed: false });
    expect(await approvals.decide(decision(x.id, 'approve', k))).toMatchObject({ row: { state: 'Approved' }, replayed: true });

    const refused = { code: 'idempotency_key_reused', errors: [{ path: 'deliveryId' }] };
    await expect(approvals.decide(decision(x.id, 'deny', k))).rejects.toMatchObject(refused);
    await expect(approvals.decide({ ...decision(x.id, 'approve', k), reason: 'another reason' })).rejects.toMatchObject(refused);
    await expect(approvals.decide(decision(y.id, 'approve', k))).rejects.toMatchObject(refused);
    expect((await approvals.get(y.id, ['*'])).state).toBe('Pending');
  });

  it('decides one of two approvals sent the same deliveryId at once, and refuses the other', async () => {
    for (let round = 0; round < 5; round++) {
      const [x, y] = [await held('keys', `x${round}`), await held('keys', `y${round}`)];
      const k = `bob-${randomUUID()}`;
      const settled = await Promise.allSettled([
        approvals.decide(decision(x.id, 'approve', k)),
        approvals.decide(decision(y.id, 'approve', k)),
      ]);
      expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(settled.find((s) => s.status === 'rejected')).toMatchObject({ reason: { code: 'idempotency_key_reused' } });
    }
  });
});

describe('cancelling a run held for approval', () => {
  it('cancels the pending approval of that run once, records the delete, and releases it so retention counts it as carried out', async () => {
    const row = await held('h1', 'r1');
    const first = await approvals.cancel(target('h1', 'r1'), 'carol:del-1', 'carol');
    expect(first).toEqual({
      cancelled: [
        expect.objectContaining({
          id: row.id,
          state: 'Cancelled',
          cancelled_by: 'carol:del-1',
          decided_by: 'carol',
          decided_at: expect.any(String),
        }),
      ],
    });
    const [stored] = await db.query<{ state: string; released: boolean }>(
      'select state, released_at is not null as released from policy.approvals where id = ?',
      [row.id],
    );
    expect(stored).toEqual({ state: 'Cancelled', released: true });
    // Nothing is left for the sweep: it is neither pending (to expire) nor unreleased (to settle).
    expect((await approvals.expireDue()).map((r) => r.id)).not.toContain(row.id);
    expect((await approvals.unreleased(0)).map((r) => r.id)).not.toContain(row.id);
  });

  it('hands a redelivery of the same delete the same approval again, and finds nothing for another delete after', async () => {
    const row = await held('h2', 'r2');
    const first = await approvals.cancel(target('h2', 'r2'), 'carol:del-2', 'carol');
    expect(first).toMatchObject({ cancelled: [{ id: row.id, state: 'Cancelled' }] });
    expect(await approvals.cancel(target('h2', 'r2'), 'carol:del-2', 'carol')).toEqual(first);
    expect(await approvals.cancel(target('h2', 'r2'), 'dave:del-3', 'dave')).toBeUndefined();
    expect((await approvals.get(row.id, ['*'])).cancelled_by).toBe('carol:del-2');
  });

  it('refuses to approve or deny a cancelled approval, as it refuses any approval already decided', async () => {
    const row = await held('h3', 'r3');
    await approvals.cancel(target('h3', 'r3'), 'carol:del-4', 'carol');
    for (const verdict of ['approve', 'deny'] as const) {
      await expect(approvals.decide(decision(row.id, verdict))).rejects.toMatchObject({
        code: 'approval_already_decided',
        message: expect.stringContaining('cancelled'),
      });
    }
    expect((await approvals.get(row.id, ['*'])).state).toBe('Cancelled');
  });

  it('leaves a decided approval alone, and says the run is on its way while an approved one is not yet carried out', async () => {
    const denied = await held('h4', 'denied');
    await approvals.decide(decision(denied.id, 'deny'));
    await approvals.markReleased(denied.id);
    expect(await approvals.cancel(target('h4', 'denied'), 'carol:del-5', 'carol')).toBeUndefined();
    expect((await approvals.get(denied.id, ['*'])).state).toBe('Denied');

    const approved = await held('h4', 'approved');
    await approvals.decide(decision(approved.id, 'approve'));
    expect(await approvals.cancel(target('h4', 'approved'), 'carol:del-6', 'carol')).toEqual({ leaving: true });
    await approvals.markReleased(approved.id);
    expect(await approvals.cancel(target('h4', 'approved'), 'carol:del-6', 'carol')).toBeUndefined();
    expect((await approvals.get(approved.id, ['*'])).state).toBe('Approved');
  });

  it('finds nothing for a run held under another name, kind or namespace, nor a held delete of that name', async () => {
    const create = await held('h5', 'r5');
    const deleting = await held('h5', 'gone', 'delete');
    expect(await approvals.cancel(target('h5', 'other'), 'carol:del-7', 'carol')).toBeUndefined();
    expect(await approvals.cancel(target('elsewhere', 'r5'), 'carol:del-7', 'carol')).toBeUndefined();
    expect(await approvals.cancel({ ...target('h5', 'r5'), kind: 'OrchestrationRun' }, 'carol:del-7', 'carol')).toBeUndefined();
    expect(await approvals.cancel(target('h5', 'gone'), 'carol:del-7', 'carol')).toBeUndefined();
    expect((await approvals.get(create.id, ['*'])).state).toBe('Pending');
    expect((await approvals.get(deleting.id, ['*'])).state).toBe('Pending');
  });
});

describe('the approval sweep', () => {
  it('settles the approvals after one that fails, and leaves that one for the next pass', async () => {
    const [stuck, next] = [await held('x9', 'stuck'), await held('x9', 'next')];
    await db.query("update policy.approvals set expires_at = now() - interval '2 seconds' where id = ?", [stuck.id]);
    await db.query("update policy.approvals set expires_at = now() - interval '1 second' where id = ?", [next.id]);
    const settled: string[] = [];
    const settle = async (row: ApprovalRow) => {
      if (row.id === stuck.id) throw new Error('its request no longer reads');
      settled.push(row.id);
    };
    const deps = { approvals, logger: createLogger('test', 'silent') } as unknown as PolicyDeps;
    expect(await sweepApprovals(deps, 60_000, settle)).toBe(1);
    expect(settled).toEqual([next.id]);
  });
});
