import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditQuery } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { AUDIT_DATABASE } from '../src/database.js';

import { AuditWriter } from '../src/group-commit.js';
import { listEvents, revisions, runHistory, verifyChain } from '../src/queries.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';
import { auditEvent } from './fixtures.js';

let scratch: ScratchDatabase;
let db: Database;

/** The `n`th event, `n` minutes into 2026, by `actor` on `name` in `namespace`. */
const event = (n: number, namespace: string, actor: string, name: string) =>
  auditEvent(n, { dedupId: `q-${n}`, occurredAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(), actor, namespace, name });

const list = (q: Partial<AuditQuery>) => listEvents(db, AuditQuery.parse({ namespaces: ['*'], ...q }));
const ids = (page: { items: Array<{ deliveryId: string }> }) => page.items.map((e) => e.deliveryId);

beforeAll(async () => {
  scratch = await scratchDatabase('audit-queries', AUDIT_DATABASE);
  db = scratch.db;
  const writer = new AuditWriter(db);
  // Sequential, so seq follows n.
  await writer.append(event(1, 'team-a', 'alice', 'r1'));
  await writer.append(event(2, 'team-a', 'alice', 'r2'));
  await writer.append(event(3, 'team-b', 'bob', 'r1'));
  await writer.append(event(4, 'team-a', 'carol', 'r1'));
});

afterAll(async () => {
  await scratch?.stop();
});

describe('listing audit events', () => {
  it('lists newest first within the caller namespaces', async () => {
    expect(ids(await list({}))).toEqual(['d-4', 'd-3', 'd-2', 'd-1']);
    expect(ids(await list({ namespaces: ['team-b'] }))).toEqual(['d-3']);
    expect(ids(await list({ namespaces: ['team-c'] }))).toEqual([]);
  });

  it('filters by actor, time and resource, all of them at once', async () => {
    expect(ids(await list({ actor: 'alice' }))).toEqual(['d-2', 'd-1']);
    expect(ids(await list({ since: '2026-01-01T00:02:00Z', until: '2026-01-01T00:04:00Z' }))).toEqual(['d-3', 'd-2']);
    expect(ids(await list({ resource: 'AgentRun/team-a/r1' }))).toEqual(['d-4', 'd-1']);
    // The resource's namespace and `namespace=` must both hold.
    expect(ids(await list({ resource: 'AgentRun/team-a/r1', namespace: 'team-b' }))).toEqual([]);
  });

  it('pages by sequence number until the last page carries no token', async () => {
    const first = await list({ limit: 3 });
    expect(ids(first)).toEqual(['d-4', 'd-3', 'd-2']);
    const second = await list({ limit: 3, continue: first.continue });
    expect(ids(second)).toEqual(['d-1']);
    expect(second.continue).toBeUndefined();
  });

  it('refuses a continue token it did not hand out as validation_failed naming query.continue, as every list does', async () => {
    const forged = Buffer.from(JSON.stringify({ seq: 'x' })).toString('base64url');
    for (const token of ['not-a-token', forged]) {
      await expect(list({ continue: token })).rejects.toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'query.continue', message: 'not a token this API returned' }],
      });
    }
  });
});

describe('verifying the chain', () => {
  it('reports an intact chain with every row checked, in batches of any size', async () => {
    expect(await verifyChain(db, { limit: 100 })).toEqual({ intact: true, checked: 4, verifiedThrough: 4 });
    expect(await verifyChain(db, { limit: 100 }, { batch: 3 })).toEqual({ intact: true, checked: 4, verifiedThrough: 4 });
  });
});

describe('run history and revisions', () => {
  it('reads a run history oldest first, by Jangar id or uid', async () => {
    for (const [n, phase, previous] of [
      [2, 'Running', 'Pending'],
      [1, 'Pending', null],
    ] as const) {
      await db.query(
        `insert into audit.run_history (dedup_id, run_id, uid, type, namespace, name, phase, previous_phase, resource_version, conditions, observed_at)
         values (?, 'run-1', 'uid-1', 'AgentRun', 'team-a', 'r1', ?, ?, ?, '[]', ?)`,
        [`h-${n}`, phase, previous, String(n), new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString()],
      );
    }
    const history = await runHistory(db, { id: 'uid-1', limit: 100 });
    expect(history).toMatchObject({ id: 'run-1', namespace: 'team-a', type: 'AgentRun', name: 'r1' });
    expect(history.items).toEqual([
      {
        phase: 'Pending',
        previousPhase: undefined,
        reason: undefined,
        message: undefined,
        resourceVersion: '1',
        conditions: [],
        observedAt: '2026-01-01T00:01:00.000Z',
      },
      {
        phase: 'Running',
        previousPhase: 'Pending',
        reason: undefined,
        message: undefined,
        resourceVersion: '2',
        conditions: [],
        observedAt: '2026-01-01T00:02:00.000Z',
      },
    ]);
    expect(history.continue).toBeUndefined();
    await expect(runHistory(db, { id: 'run-none', limit: 100 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('pages a long run history oldest first, transitions observed in one microsecond in the order recorded, none lost or repeated', async () => {
    // Seven transitions, three of them observed at the same instant and told apart by when audit recorded them.
    const at = (micros: number) => `2026-02-01T00:00:00.00000${micros}Z`;
    const transitions = [
      [1, at(1), at(1)],
      [2, at(2), at(2)],
      [3, at(3), at(3)],
      [4, at(3), at(4)],
      [5, at(3), at(5)],
      [6, at(6), at(6)],
      [7, at(7), at(7)],
    ] as const;
    for (const [n, observed, recorded] of transitions.toReversed()) {
      await db.query(
        `insert into audit.run_history (dedup_id, run_id, uid, type, namespace, name, phase, resource_version, conditions, observed_at, recorded_at)
         values (?, 'run-long', 'uid-long', 'AgentRun', 'team-a', 'long', 'Running', ?, '[]', ?::timestamptz, ?::timestamptz)`,
        [`long-${n}`, String(n), observed, recorded],
      );
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await runHistory(db, { id: 'run-long', limit: 2, ...(token ? { continue: token } : {}) });
      expect(page).toMatchObject({ id: 'run-long', namespace: 'team-a' });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((h) => h.resourceVersion));
      token = page.continue;
    } while (token);
    expect(seen).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });

  it('reads a history by either id through indexes, not by reading the whole table', async () => {
    // The planner told to avoid sequential scans still takes one where no index serves a predicate.
    const plan = await db.transaction(async (q) => {
      await q('set local enable_seqscan = off');
      return q<{ 'QUERY PLAN': string }>(
        `explain select * from audit.run_history where (run_id = 'run-1' or uid = 'run-1') order by observed_at, recorded_at, dedup_id limit 101`,
      );
    });
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).not.toMatch(/Seq Scan/);
    expect(text).toMatch(/run_history_uid/);
  });

  it('reads the revisions of a primitive oldest first, whatever order they were stored in', async () => {
    for (const generation of [2, 1]) {
      await db.query(
        `insert into audit.revisions (dedup_id, kind, namespace, name, uid, resource_id, generation, resource_version, spec, labels, actor, delivery_id, occurred_at)
         values (?, 'Agent', 'team-a', 'coder', 'uid-a', 'id-a', ?, ?, ?::jsonb, '{"app":"x"}', 'alice', ?, ?::timestamptz)`,
        [
          `rev-${generation}`,
          generation,
          `${generation}0`,
          JSON.stringify({ gen: generation }),
          `d-rev-${generation}`,
          `2026-01-01T00:0${generation}:00Z`,
        ],
      );
    }
    const revs = await revisions(db, { kind: 'Agent', namespace: 'team-a', name: 'coder', limit: 100 });
    expect(revs.items.map((r) => [r.generation, r.spec, r.labels, r.deliveryId])).toEqual([
      [1, { gen: 1 }, { app: 'x' }, 'd-rev-1'],
      [2, { gen: 2 }, { app: 'x' }, 'd-rev-2'],
    ]);
    expect(revs.continue).toBeUndefined();
    await expect(revisions(db, { kind: 'Agent', namespace: 'team-a', name: 'none', limit: 100 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('pages the revisions oldest first, a re-created object of the same name after the first, none lost or repeated', async () => {
    // Two objects named `paged` (the first deleted and made again): generations 1-3 and 1-2.
    const rows = [
      ['uid-old', 1, '2026-01-01T00:00:00.000001Z'],
      ['uid-old', 2, '2026-01-01T00:00:00.000002Z'],
      ['uid-old', 3, '2026-01-01T00:00:00.000003Z'],
      ['uid-new', 1, '2026-01-02T00:00:00.000001Z'],
      ['uid-new', 2, '2026-01-02T00:00:00.000002Z'],
    ] as const;
    for (const [uid, generation, at] of rows) {
      await db.query(
        `insert into audit.revisions (dedup_id, kind, namespace, name, uid, resource_id, generation, resource_version, spec, labels, actor, delivery_id, occurred_at)
         values (?, 'Agent', 'team-a', 'paged', ?, ?, ?, ?, '{}'::jsonb, '{}', 'alice', ?, ?::timestamptz)`,
        [`rev-${uid}-${generation}`, uid, `id-${uid}`, generation, `${generation}`, `d-${uid}-${generation}`, at],
      );
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await revisions(db, {
        kind: 'Agent',
        namespace: 'team-a',
        name: 'paged',
        limit: 2,
        ...(token ? { continue: token } : {}),
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r.deliveryId));
      token = page.continue;
    } while (token);
    expect(seen).toEqual(['d-uid-old-1', 'd-uid-old-2', 'd-uid-old-3', 'd-uid-new-1', 'd-uid-new-2']);
  });
});

// Last in the file: it breaks the chain for good.
describe('tamper evidence', () => {
  it('names the row after one deleted by hand as the broken link', async () => {
    const [second, third] = await db.query<{ seq: string; id: string }>(
      'select seq, id from audit.audit_events order by seq limit 2 offset 1',
    );
    await db.transaction(async (q) => {
      // Someone with database access goes around the append-only trigger.
      await q('alter table audit.audit_events disable trigger audit_events_append_only');
      await q('delete from audit.audit_events where seq = ?', [second!.seq]);
      await q('alter table audit.audit_events enable trigger audit_events_append_only');
    });
    expect(await verifyChain(db, { limit: 100 })).toMatchObject({
      intact: false,
      checked: 1,
      firstBroken: { seq: Number(third!.seq), id: third!.id, reason: 'chain_broken' },
    });
  });
});
