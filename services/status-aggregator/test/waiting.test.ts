import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DecisionMessage, NormalizedRun, OutcomeMessage, type RunQuery } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { STATUS_DATABASE } from '../src/database.js';
import { listRuns } from '../src/queries.js';
import { RunStore } from '../src/store.js';
import { WaitingRunStore } from '../src/waiting.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;
let waiting: WaitingRunStore;

beforeAll(async () => {
  scratch = await scratchDatabase('status-waiting', STATUS_DATABASE);
  db = scratch.db;
  waiting = new WaitingRunStore(db);
});

beforeEach(async () => {
  await db.query('truncate status.runs, status.waiting_runs');
});

afterAll(async () => {
  await scratch?.stop();
});

const at = (second: number) => `2026-11-26T10:00:${String(second).padStart(2, '0')}.000Z`;

/** The envelope of a run's create request, as every message about it carries it. */
function request(name: string, opts: { id?: string; namespace?: string; labels?: Record<string, string> } = {}) {
  const namespace = opts.namespace ?? 'team-a';
  return {
    envelope: {
      deliveryId: `d-${name}`,
      requestKey: `alice:d-${name}`,
      correlationId: `c-${name}`,
      principal: { subject: 'alice' },
      namespace,
    },
    payload: {
      id: opts.id ?? randomUUID(),
      kind: 'AgentRun',
      verb: 'create' as const,
      metadata: { namespace, name, labels: opts.labels ?? {} },
      spec: {},
    },
  };
}
type Request = ReturnType<typeof request>;

const decision = (r: Request, second: number, hold: { queue?: object; approval?: object }) =>
  DecisionMessage.parse({
    ...r.envelope,
    occurredAt: at(second),
    payload: {
      request: r.payload,
      verdict: 'pending',
      mode: 'enforce',
      violations: [],
      policyVersion: 'v1',
      evaluatedAt: at(second),
      ...hold,
    },
  });

const queued = (r: Request, second: number) =>
  decision(r, second, {
    queue: {
      id: randomUUID(),
      state: 'Queued',
      namespace: r.payload.metadata.namespace,
      kind: 'AgentRun',
      name: r.payload.metadata.name,
      reason: 'ConcurrencyLimit',
      message: '2 of 2 runs are active in namespace "team-a"',
      enqueuedAt: at(second),
      expiresAt: at(59),
    },
  });

const held = (r: Request, second: number) =>
  decision(r, second, {
    approval: {
      id: randomUUID(),
      state: 'Pending',
      namespace: r.payload.metadata.namespace,
      kind: 'AgentRun',
      verb: 'create',
      requestedBy: 'alice',
      deliveryId: r.envelope.deliveryId,
      correlationId: r.envelope.correlationId,
      approverRole: 'approver',
      gates: [{ ruleId: 'approval-required', path: 'spec', reason: 'privileged runs need an approver' }],
      createdAt: at(second),
      expiresAt: at(59),
    },
  });

const refused = (r: Request, second: number, code: string, detail = code) =>
  OutcomeMessage.parse({
    ...r.envelope,
    occurredAt: at(second),
    payload: { result: 'rejected', id: r.payload.id, kind: 'AgentRun', verb: 'create', error: { code, detail } },
  });

const list = async (q: Partial<RunQuery> = {}) => listRuns(db, { namespaces: ['*'], limit: 50, ...q });
const phases = async (q: Partial<RunQuery> = {}) => (await list(q)).items.map((r) => [r.name, r.phase, r.conditions[0]?.type]);

describe('runs that wait before they exist', () => {
  it('are listed as Pending, Blocked in their queue or AwaitingApproval, with the filters of any run', async () => {
    await waiting.hold(queued(request('q1', { labels: { team: 'red' } }), 1));
    await waiting.hold(held(request('h1', { namespace: 'team-b' }), 2));

    expect(await phases()).toEqual([
      ['h1', 'Pending', 'AwaitingApproval'],
      ['q1', 'Pending', 'Blocked'],
    ]);
    expect(await phases({ namespaces: ['team-a'] })).toEqual([['q1', 'Pending', 'Blocked']]);
    expect(await phases({ labelSelector: 'team=red' })).toEqual([['q1', 'Pending', 'Blocked']]);
    expect(await phases({ phase: ['Running'] })).toEqual([]);
    const [run] = (await list({ namespaces: ['team-b'] })).items;
    expect(run).toMatchObject({ type: 'AgentRun', namespace: 'team-b', uid: '', deliveryId: 'd-h1', correlationId: 'c-h1' });
  });

  it('keep the newest event: approved then queued reads as queued, and a late copy of an older decision changes nothing', async () => {
    const r = request('a1');
    await waiting.hold(held(r, 1));
    await waiting.hold(queued(r, 5));
    await waiting.hold(held(r, 1));

    const [run] = (await list()).items;
    expect(run).toMatchObject({ phase: 'Pending', conditions: [{ type: 'Blocked' }], createdAt: at(1) });
  });

  it('are listed as refused once their wait ends without them: Failed, or Cancelled when deleted', async () => {
    const [expired, cancelled] = [request('e1'), request('c1')];
    await waiting.hold(queued(expired, 1));
    await waiting.hold(held(cancelled, 2));
    await waiting.refuse(refused(expired, 10, 'queue_expired', 'waited 60 s'));
    await waiting.refuse(refused(cancelled, 11, 'run_cancelled'));
    // A late copy of the hold does not bring a refused run back.
    await waiting.hold(queued(expired, 1));

    expect(await phases()).toEqual([
      ['c1', 'Cancelled', 'Blocked'],
      ['e1', 'Failed', 'Blocked'],
    ]);
    expect((await list({ phase: ['Failed'] })).items[0]).toMatchObject({ name: 'e1', updatedAt: at(10) });
  });

  it('are not listed when their refusal is processed before the decision that held them', async () => {
    const [denied, limited] = [request('o1'), request('o2')];
    // Two consumers: the outcome may be handled first, and the decision redelivered after it.
    await waiting.refuse(refused(denied, 9, 'approval_denied'));
    await waiting.hold(held(denied, 2));
    await waiting.refuse(refused(limited, 9, 'concurrency_limit'));
    await waiting.hold(queued(limited, 2));
    expect(await phases()).toEqual([]);
    // A retry of the limited run is a new attempt, held later: listed again.
    await waiting.hold(queued(limited, 12));
    expect(await phases()).toEqual([['o2', 'Pending', 'Blocked']]);
  });

  it('are ended by a refusal written while the decision that held them is committed between its two statements', async () => {
    const r = request('race');
    // The hold's consumer commits right after the refusal's update found no listed row to end.
    let interleaved = false;
    const racing = new WaitingRunStore({
      ...db,
      query: async <T>(sql: string, params?: readonly unknown[]) => {
        const rows = await db.query<T>(sql, params);
        if (!interleaved && sql.trimStart().startsWith('update status.waiting_runs')) {
          interleaved = true;
          await waiting.hold(queued(r, 1));
        }
        return rows;
      },
    });
    await racing.refuse(refused(r, 10, 'queue_expired', 'waited 60 s'));
    expect(await phases()).toEqual([['race', 'Failed', 'Blocked']]);
  });

  it('leave no trace when they never waited, and none once a retryable refusal ends the attempt', async () => {
    const [denied, limited] = [request('n1'), request('l1')];
    await waiting.refuse(refused(denied, 3, 'policy_denied'));
    await waiting.hold(held(limited, 1));
    await waiting.refuse(refused(limited, 4, 'concurrency_limit'));

    expect(await phases()).toEqual([]);
  });

  it('are found by their labels when a retry queues after a retryable refusal left their row', async () => {
    const r = request('o3', { labels: { team: 'red' } });
    await waiting.refuse(refused(r, 9, 'concurrency_limit'));
    await waiting.hold(queued(r, 12));

    expect(await phases({ labelSelector: 'team=red' })).toEqual([['o3', 'Pending', 'Blocked']]);
    expect(await phases({ labelSelector: 'team!=red' })).toEqual([]);
  });

  it('are listed once, as the run, when they come to exist — and their rows are purged', async () => {
    const r = request('x1');
    await waiting.hold(queued(r, 1));
    const store = new RunStore(db);
    await store.upsert(
      NormalizedRun.parse({
        id: r.payload.id,
        uid: 'uid-x1',
        type: 'AgentRun',
        namespace: 'team-a',
        name: 'x1',
        resourceVersion: '7',
        labels: {},
        phase: 'Running',
        conditions: [],
        createdAt: at(20),
        updatedAt: at(20),
      }),
    );

    expect(await phases()).toEqual([['x1', 'Running', undefined]]);
    expect(await waiting.purgeCreated()).toBe(1);
    expect(await phases()).toEqual([['x1', 'Running', undefined]]);
  });

  it('keep their place in the list when they come to exist between two pages, so no page skips them', async () => {
    const store = new RunStore(db);
    const created = (id: string, name: string, second: number) =>
      NormalizedRun.parse({
        id,
        uid: `uid-${name}`,
        type: 'AgentRun',
        namespace: 'team-a',
        name,
        resourceVersion: '1',
        labels: {},
        phase: 'Running',
        conditions: [],
        createdAt: at(second),
        updatedAt: at(second),
      });
    for (const n of [1, 3, 4]) await store.upsert(created(`run-${n}`, `r${n}`, n));
    const w2 = request('w2');
    await waiting.hold(queued(w2, 2));

    const first = await list({ limit: 2 });
    expect(first.items.map((r) => r.name)).toEqual(['r4', 'r3']);
    // Admitted from its queue and created after every run listed so far.
    await store.upsert(created(w2.payload.id, 'w2', 30));
    const second = await list({ limit: 2, continue: first.continue! });

    const names = [...first.items, ...second.items].map((r) => r.name);
    expect(names.sort()).toEqual(['r1', 'r3', 'r4', 'w2']);
    expect(second.items.find((r) => r.name === 'w2')).toMatchObject({ phase: 'Running', createdAt: at(30) });
    // The row it waited in is purged; the run keeps the place it had while it waited.
    await waiting.purgeCreated();
    expect((await list()).items.map((r) => r.name)).toEqual(['r4', 'r3', 'w2', 'r1']);
  });

  it('page with the runs that exist, newest first, nothing lost or repeated', async () => {
    const store = new RunStore(db);
    for (const n of [1, 3, 5]) {
      await store.upsert(
        NormalizedRun.parse({
          id: `run-${n}`,
          uid: `uid-${n}`,
          type: 'AgentRun',
          namespace: 'team-a',
          name: `r${n}`,
          resourceVersion: '1',
          labels: {},
          phase: 'Running',
          conditions: [],
          createdAt: at(n),
          updatedAt: at(n),
        }),
      );
    }
    for (const n of [2, 4]) await waiting.hold(queued(request(`w${n}`), n));

    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await list({ limit: 2, ...(token ? { continue: token } : {}) });
      names.push(...page.items.map((r) => r.name));
      token = page.continue;
    } while (token);
    expect(names).toEqual(['r5', 'w4', 'r3', 'w2', 'r1']);
  });
});
