import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationQuery, RunStatusMessage, type Correlation, type NormalizedRun, type RunPhase } from '@jangar/contracts';
import { connectPg, scratchPostgres, waitFor } from '@jangar/devstack';
import { createLogger } from '@jangar/service-kit';
import { openDatabase, type Database } from '@jangar/service-kit/db';
import { AUDIT_DATABASE } from '../src/database.js';
import { AuditWriter } from '../src/group-commit.js';
import { recordRunStatus, runHistoryWriter } from '../src/handlers.js';
import { AUDIT_MIGRATIONS } from '../src/migrations.js';
import { correlation } from '../src/queries.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';
import { auditEvent } from './fixtures.js';

let scratch: ScratchDatabase;
let db: Database;

const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 0, minute)).toISOString();

/** What the audit service's consumers record, on `db`, through the writers they record with. */
function recorder(db: Database) {
  const history = runHistoryWriter(db);
  const audit = new AuditWriter(db);
  return {
    /** One status message of run `id`, observed at `minute`. */
    async observe(id: string, phase: RunPhase, minute: number, over: Partial<NormalizedRun> = {}): Promise<void> {
      const run: NormalizedRun = {
        id,
        type: 'AgentRun',
        namespace: 'team-a',
        name: id,
        uid: `uid-${id}`,
        resourceVersion: phase,
        labels: {},
        phase,
        conditions: [],
        createdAt: at(minute),
        updatedAt: at(minute),
        ...over,
      };
      await recordRunStatus(history, RunStatusMessage.parse({ occurredAt: at(minute), payload: { run } }));
    },
    /** The audit event of request `n`, which carried `correlationId` and created run `runId`. */
    async request(n: number, correlationId: string, runId: string, namespace = 'team-a'): Promise<void> {
      await audit.append(auditEvent(n, { correlationId, namespace, resourceId: runId }));
    },
  };
}

let record: ReturnType<typeof recorder>;

/** One page of a correlation's requests and runs, as the caller in `namespaces` reads it. */
const readPage = (db: Database, correlationId: string, limit: number, token?: string, namespaces = ['team-a']) =>
  correlation(db, CorrelationQuery.parse({ correlationId, namespaces, limit, ...(token === undefined ? {} : { continue: token }) }));

/** Follows a correlation's continue tokens from `token` to the end, a page of `limit` at a time. */
async function walk(db: Database, correlationId: string, limit: number, token?: string, namespaces = ['team-a']): Promise<Correlation[]> {
  const pages: Correlation[] = [];
  do {
    const page = await readPage(db, correlationId, limit, token, namespaces);
    pages.push(page);
    token = page.continue;
    // A runaway walk fails here rather than timing out.
    expect(pages.length).toBeLessThan(100);
  } while (token !== undefined);
  return pages;
}

const runIds = (pages: Correlation[]) => pages.flatMap((p) => p.runs.map((r) => r.id));

beforeAll(async () => {
  scratch = await scratchDatabase('audit-correlation', AUDIT_DATABASE);
  db = scratch.db;
  record = recorder(db);
});

afterAll(async () => {
  await scratch?.stop();
});

describe('a correlation a page at a time', () => {
  const CORR = 'incident-7';

  beforeAll(async () => {
    const writer = new AuditWriter(db);
    // 9 requests in team-a (6 of them creating runs run-0…run-5), 3 in team-b.
    for (let i = 0; i < 12; i++) {
      const ns = i % 4 === 3 ? 'team-b' : 'team-a';
      const creates = ns === 'team-a' && i < 8;
      await writer.append(
        auditEvent(10_000 + i, {
          correlationId: CORR,
          namespace: ns,
          resourceId: creates ? `run-${i}` : null,
          ...(creates ? {} : { resourceKind: 'Agent' }),
        }),
      );
    }
    const history = async (runId: string, ns: string, minute: number, phase: string, correlationId: string | null) =>
      db.query(
        `insert into audit.run_history (dedup_id, run_id, uid, type, namespace, name, phase, resource_version, conditions, observed_at, correlation_id)
         values (?, ?, ?, 'AgentRun', ?, ?, ?, ?, '[]', ?, ?)`,
        [
          `h-${runId}-${phase}`,
          runId,
          `uid-${runId}`,
          ns,
          runId,
          phase,
          `${minute}`,
          new Date(Date.UTC(2026, 1, 1, 0, minute)).toISOString(),
          correlationId,
        ],
      );
    for (const i of [0, 1, 2, 4, 5, 6]) {
      await history(`run-${i}`, 'team-a', i, 'Pending', null);
      await history(`run-${i}`, 'team-a', 30 + i, 'Running', null);
    }
    // Children of an orchestration carry the id themselves; two were first seen at the same instant.
    for (const [id, minute] of [
      ['child-a', 10],
      ['child-b', 10],
      ['child-c', 11],
    ] as const)
      await history(id, 'team-a', minute, 'Succeeded', CORR);
    await history('child-other', 'team-b', 12, 'Succeeded', CORR);
  });

  const page = (q: Partial<CorrelationQuery>) =>
    correlation(db, CorrelationQuery.parse({ correlationId: CORR, namespaces: ['team-a'], ...q }));

  async function all(limit: number, namespaces = ['team-a']): Promise<Correlation[]> {
    const pages: Correlation[] = [];
    let token: string | undefined;
    do {
      const p = await page({ limit, namespaces, ...(token === undefined ? {} : { continue: token }) });
      pages.push(p);
      token = p.continue;
      expect(pages.length).toBeLessThan(50);
    } while (token !== undefined);
    return pages;
  }

  it('pages requests and runs at most `limit` each, every one on exactly one page, in the one-page order', async () => {
    const whole = await page({ limit: 1000 });
    expect(whole.continue).toBeUndefined();
    expect(whole.requests.map((r) => r.deliveryId)).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10].map((i) => `d-${10_000 + i}`));
    expect(whole.runs.map((r) => [r.id, r.phase])).toEqual([
      ['run-0', 'Running'],
      ['run-1', 'Running'],
      ['run-2', 'Running'],
      ['run-4', 'Running'],
      ['run-5', 'Running'],
      ['run-6', 'Running'],
      ['child-a', 'Succeeded'],
      ['child-b', 'Succeeded'],
      ['child-c', 'Succeeded'],
    ]);
    for (const limit of [1, 2, 4]) {
      const pages = await all(limit);
      expect(pages.every((p) => p.requests.length <= limit && p.runs.length <= limit)).toBe(true);
      expect(pages.flatMap((p) => p.requests)).toEqual(whole.requests);
      expect(pages.flatMap((p) => p.runs)).toEqual(whole.runs);
      expect(pages).toHaveLength(Math.ceil(9 / limit));
    }
  });

  it("keeps the lists' pages apart when one ends first, within the caller's namespaces", async () => {
    const pages = await all(2, ['team-b']);
    expect(pages.map((p) => [p.requests.length, p.runs.length])).toEqual([
      [2, 1],
      [1, 0],
    ]);
    expect(pages[1]!.runs).toEqual([]);
  });

  it('refuses a token that is not one as validation_failed naming query.continue', async () => {
    // The second is the shape tokens had when runs paged by first sighting.
    const former = Buffer.from(JSON.stringify({ seq: 3, run: { at: '2026-02-01T00:10:00.000000Z', id: 'child-a' } })).toString('base64url');
    for (const token of ['not-a-token', former]) {
      await expect(page({ continue: token })).rejects.toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'query.continue', message: 'not a token this API returned' }],
      });
    }
  });
});

describe("a correlation's runs, in the order audit recorded them", () => {
  it('walks every run exactly once, in record order whatever the order they were observed in, with its latest phase', async () => {
    const corr = 'orchestration-9';
    const ids = Array.from({ length: 12 }, (_, i) => `step-${i}`);
    // Observed out of record order, as status messages of different runs can arrive.
    for (const [i, id] of ids.entries()) await record.observe(id, 'Pending', (i * 7) % 12, { correlationId: corr });
    // Later transitions of runs already listed, in one burst (a batch or two), renumber none of them.
    await Promise.all(ids.map((id, i) => record.observe(id, 'Succeeded', 20 + i, { correlationId: corr })));
    const pages = await walk(db, corr, 1);
    expect(pages).toHaveLength(ids.length);
    expect(pages.map((p) => p.runs.map((r) => [r.id, r.phase]))).toEqual(ids.map((id) => [[id, 'Succeeded']]));
    expect(pages.at(-1)!.continue).toBeUndefined();
  });

  it("lists a run recorded after a page was read, first observed before that page's last run, on a later page of the same walk", async () => {
    const corr = 'orchestration-late';
    for (const [i, id] of ['a', 'b', 'c'].entries()) await record.observe(`late-${id}`, 'Running', 30 + i, { correlationId: corr });
    const first = await readPage(db, corr, 2);
    expect(first.runs.map((r) => r.id)).toEqual(['late-a', 'late-b']);
    // Its status message was delayed: observed before late-b, recorded only now.
    await record.observe('late-straggler', 'Running', 29, { correlationId: corr });
    const rest = await walk(db, corr, 2, first.continue);
    expect(runIds(rest)).toEqual(['late-c', 'late-straggler']);
  });

  it('lists a run known first from its request once its history arrives, after the runs a walk passed meanwhile', async () => {
    const corr = 'request-first';
    await record.request(20_000, corr, 'req-run');
    await record.observe('req-other', 'Running', 40, { correlationId: corr });
    await record.observe('req-third', 'Running', 41, { correlationId: corr });
    // The request is recorded, the run's status not yet: the page has nothing to list for it.
    const first = await readPage(db, corr, 1);
    expect(first.runs.map((r) => r.id)).toEqual(['req-other']);
    await record.observe('req-run', 'Running', 39, { correlationId: corr });
    expect(runIds(await walk(db, corr, 1, first.continue))).toEqual(['req-third', 'req-run']);
    expect(runIds(await walk(db, corr, 1))).toEqual(['req-other', 'req-third', 'req-run']);
  });

  it('lists each run once when its request and its first statuses are recorded at the same time', async () => {
    const corr = 'burst';
    const ids = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    // Two writers, two transactions at once, and a run's two transitions possibly in one batch.
    await Promise.all(
      ids.flatMap((id, i) => [
        record.request(30_000 + i, corr, id),
        record.observe(id, 'Pending', 60, { correlationId: corr }),
        record.observe(id, 'Running', 61, { correlationId: corr }),
      ]),
    );
    const runs = (await walk(db, corr, 7)).flatMap((p) => p.runs);
    expect(runs.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(runs.every((r) => r.phase === 'Running')).toBe(true);
  });

  it("lists a run reached only through the request that created it, and none of another namespace's runs", async () => {
    const corr = 'mixed-teams';
    // Its history carries no correlation id (recorded before runs carried one): only its request ties it in.
    await record.observe('via-request', 'Succeeded', 50);
    await record.request(20_001, corr, 'via-request');
    await record.observe('team-b-child', 'Running', 51, { correlationId: corr, namespace: 'team-b' });
    await record.request(20_002, corr, 'team-b-run', 'team-b');
    await record.observe('team-b-run', 'Running', 52, { namespace: 'team-b', correlationId: corr });
    expect((await walk(db, corr, 1)).map((p) => p.runs)).toEqual([
      [{ id: 'via-request', type: 'AgentRun', namespace: 'team-a', name: 'via-request', phase: 'Succeeded' }],
    ]);
    expect(runIds(await walk(db, corr, 1, undefined, ['team-b']))).toEqual(['team-b-child', 'team-b-run']);
    expect(runIds(await walk(db, corr, 2, undefined, ['*']))).toEqual(['via-request', 'team-b-child', 'team-b-run']);
  });
  it("shows a listed run as its own namespace recorded it, though another namespace's history has a run of the same id", async () => {
    const corr = 'same-id';
    await record.observe('dup', 'Running', 80, { correlationId: corr, name: 'dup-in-a' });
    // Later, and not correlated: another namespace's run that happens to have the same id.
    await record.observe('dup', 'Failed', 81, { namespace: 'team-b', name: 'dup-in-b', uid: 'uid-dup-b' });
    expect((await walk(db, corr, 1)).map((p) => p.runs)).toEqual([
      [{ id: 'dup', type: 'AgentRun', namespace: 'team-a', name: 'dup-in-a', phase: 'Running' }],
    ]);
    expect(runIds(await walk(db, corr, 1, undefined, ['team-b']))).toEqual([]);
  });
});

describe("a correlation's runs recorded by two replicas at once", () => {
  it('lists a run only once every run numbered before it has committed, so a walk cannot pass a run still being recorded', async () => {
    const corr = 'commit-order';
    await record.observe('before', 'Running', 70, { correlationId: corr });
    // One replica's history insert, still open: it has numbered `slow` but not committed.
    const open = await connectPg(scratch.url);
    try {
      await open.query('begin');
      await open.query(
        `insert into audit.run_history (dedup_id, run_id, uid, type, namespace, name, phase, resource_version, conditions, observed_at, correlation_id)
         values ('h-slow', 'slow', 'uid-slow', 'AgentRun', 'team-a', 'slow', 'Running', '1', '[]', $1, $2)`,
        [at(71), corr],
      );
      // The other replica records `fast` meanwhile: it waits for `slow`'s commit, or (numbered after
      // `slow` but committed first) is done before it.
      let recorded = false;
      const fast = record.observe('fast', 'Running', 72, { correlationId: corr }).then(() => {
        recorded = true;
      });
      await waitFor('the second replica to record its run or to wait on a lock', async () => {
        if (recorded) return true;
        const [waiting] = await db.query<{ n: string }>(
          `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        return Number(waiting!.n) > 0;
      });
      // A reader walking now would pass `slow`'s number if it listed `fast`, and never come back to it.
      expect(runIds(await walk(db, corr, 1))).toEqual(['before']);
      await open.query('commit');
      await fast;
    } finally {
      await open.end();
    }
    expect(runIds(await walk(db, corr, 1))).toEqual(['before', 'slow', 'fast']);
  });

  it('records the statuses of runs already listed, in opposite orders on two replicas, without a deadlock', async () => {
    const corr = 'two-replicas';
    const ids = Array.from({ length: 200 }, (_, i) => `replica-run-${i}`);
    // Every statement that fails: a group commit retries a failed batch row by row, so the writers' callers would not see it.
    const failures: unknown[] = [];
    const watched = (replica: Database): Database => ({
      ...replica,
      query: <T>(sql: string, params?: readonly unknown[]) =>
        replica.query<T>(sql, params).catch((err: unknown) => {
          failures.push(err);
          throw err;
        }),
    });
    const replicas = [await openDatabase({ url: scratch.url, ...AUDIT_DATABASE, logger: createLogger('test', 'silent') })];
    try {
      replicas.push(await openDatabase({ url: scratch.url, ...AUDIT_DATABASE, logger: createLogger('test', 'silent') }));
      const [a, b] = replicas.map((r) => recorder(watched(r))) as [ReturnType<typeof recorder>, ReturnType<typeof recorder>];
      for (const [i, id] of ids.entries()) await a.observe(id, 'Pending', i, { correlationId: corr });
      // Each round, both replicas record a status of every run, one in the other's reverse order.
      for (let round = 1; round <= 40; round++) {
        const minute = 1000 * round;
        await Promise.all(
          ids.flatMap((id, i) => [
            a.observe(id, 'Running', minute + i, { correlationId: corr, resourceVersion: `a-${round}` }),
            b.observe(id, 'Running', minute + ids.length - i, { correlationId: corr, resourceVersion: `b-${round}` }),
          ]),
        );
      }
    } finally {
      for (const r of replicas) await r.close();
    }
    expect(failures.map((err) => (err as { code?: string }).code ?? String(err))).toEqual([]);
    expect(runIds(await walk(db, corr, 10))).toEqual(ids);
  });
});

describe('correlations recorded before runs were numbered', () => {
  const corr = 'before-0204';

  it('lists them after the migration that numbers them, by first sighting, and runs recorded since after them', async () => {
    const server = await scratchPostgres('audit-correlation-backfill');
    const open = (migrations: typeof AUDIT_MIGRATIONS) =>
      openDatabase({ url: server.url, ...AUDIT_DATABASE, migrations, logger: createLogger('test', 'silent') });
    try {
      const before = await open(AUDIT_MIGRATIONS.filter((m) => m.name !== 'Migration20261125000204CorrelationRuns'));
      try {
        const old = recorder(before);
        // A run found through its request only, two carrying the id, observed out of record order,
        // and a request whose run has no history yet.
        await old.observe('old-via-request', 'Running', 3);
        await old.request(1, corr, 'old-via-request');
        await old.observe('old-child', 'Running', 2, { correlationId: corr });
        await old.observe('old-child', 'Succeeded', 5, { correlationId: corr });
        await old.observe('old-first', 'Pending', 1, { correlationId: corr });
        await old.request(2, corr, 'old-unobserved');
        await old.observe('old-other-team', 'Running', 4, { correlationId: corr, namespace: 'team-b' });
      } finally {
        await before.close();
      }
      const after = await open(AUDIT_MIGRATIONS);
      try {
        const now = recorder(after);
        expect(runIds(await walk(after, corr, 1))).toEqual(['old-first', 'old-child', 'old-via-request']);
        expect(runIds(await walk(after, corr, 1, undefined, ['team-b']))).toEqual(['old-other-team']);
        await now.observe('new-run', 'Running', 0, { correlationId: corr });
        await now.observe('old-unobserved', 'Running', 0, { correlationId: corr });
        expect((await walk(after, corr, 10)).flatMap((p) => p.runs.map((r) => [r.id, r.phase]))).toEqual([
          ['old-first', 'Pending'],
          ['old-child', 'Succeeded'],
          ['old-via-request', 'Running'],
          ['new-run', 'Running'],
          ['old-unobserved', 'Running'],
        ]);
      } finally {
        await after.close();
      }
    } finally {
      await server.stop();
    }
  });
});
