import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationQuery, type ChainVerification, type Correlation } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { AUDIT_DATABASE } from '../src/database.js';
import type { NewAuditEvent } from '../src/events.js';
import { AuditWriter } from '../src/group-commit.js';
import { correlation, verifyChain, type VerifyOptions } from '../src/queries.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;

// Enough rows for several pages and several batches per page.
const CHAIN = 3000;

const event = (n: number, over: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  dedupId: `p-${n}`,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  actor: 'alice',
  action: 'agentrun.create',
  resourceKind: 'AgentRun',
  namespace: 'team-a',
  name: `r${n}`,
  uid: null,
  resourceId: null,
  deliveryId: `d-${n}`,
  correlationId: `c-${n}`,
  traceId: null,
  decision: 'allow',
  outcome: 'created',
  summary: { spec: { n } },
  ...over,
});

beforeAll(async () => {
  scratch = await scratchDatabase('audit-paging', AUDIT_DATABASE);
  db = scratch.db;
  const writer = new AuditWriter(db);
  // Concurrent, so the group commit writes the chain in a few transactions.
  await Promise.all(Array.from({ length: CHAIN }, (_, i) => writer.append(event(i))));
});

afterAll(async () => {
  await scratch?.stop();
});

/** Follows the continue tokens from `token` until a page carries none or the chain breaks. */
async function walk(limit: number, opts: VerifyOptions = {}, token?: string): Promise<ChainVerification[]> {
  const pages: ChainVerification[] = [];
  for (;;) {
    const page = await verifyChain(db, { limit, ...(token === undefined ? {} : { continue: token }) }, opts);
    pages.push(page);
    if (page.continue === undefined) return pages;
    // A runaway walk fails here rather than timing out.
    expect(pages.length).toBeLessThan(CHAIN);
    token = page.continue;
  }
}

const seqs = async (offset: number) =>
  (await db.query<{ seq: string; id: string }>('select seq, id from audit.audit_events order by seq limit 1 offset ?', [offset]))[0]!;

/**
 * Runs `check` with one audit row changed around the append-only trigger, as someone with database
 * access could, then puts the row back as it was, so each test sees an intact chain.
 */
async function tampered<T>(seq: string, change: 'update' | 'delete', check: () => Promise<T>): Promise<T> {
  const [saved] = await db.query<{ row: unknown }>('select to_jsonb(e) as row from audit.audit_events e where seq = ?', [seq]);
  const bypass = async (sql: string, params: unknown[]) =>
    db.transaction(async (q) => {
      await q('alter table audit.audit_events disable trigger audit_events_append_only');
      await q(sql, params);
      await q('alter table audit.audit_events enable trigger audit_events_append_only');
    });
  await bypass(
    change === 'delete' ? 'delete from audit.audit_events where seq = ?' : "update audit.audit_events set actor = 'mallory' where seq = ?",
    [seq],
  );
  try {
    return await check();
  } finally {
    await bypass('delete from audit.audit_events where seq = ?', [seq]);
    await bypass('insert into audit.audit_events select * from jsonb_populate_record(null::audit.audit_events, ?::jsonb)', [
      JSON.stringify(saved!.row),
    ]);
  }
}

describe('verifying the chain a page at a time', () => {
  it('walks the whole chain in pages of at most `limit`, each resuming where the last ended', async () => {
    const pages = await walk(700, { batch: 300 });
    expect(pages.map((p) => p.checked)).toEqual([700, 700, 700, 700, 200]);
    expect(pages.every((p) => p.intact && p.firstBroken === undefined)).toBe(true);
    const last = Number((await seqs(CHAIN - 1)).seq);
    expect(pages.map((p) => p.verifiedThrough)).toEqual([
      Number((await seqs(699)).seq),
      Number((await seqs(1399)).seq),
      Number((await seqs(2099)).seq),
      Number((await seqs(2799)).seq),
      last,
    ]);
    // A page that ends exactly at the chain's end says so: no token for an empty next page.
    const whole = await walk(CHAIN);
    expect(whole).toEqual([{ intact: true, checked: CHAIN, verifiedThrough: last }]);
  });

  it('ends a page at its time budget, after at least one batch, however large the limit', async () => {
    const pages = await walk(50_000, { batch: 500, budgetMs: 0 });
    expect(pages.map((p) => p.checked)).toEqual([500, 500, 500, 500, 500, 500]);
    expect(pages.at(-1)).toMatchObject({ intact: true });
  });

  it('finds a row changed on the second page, and ends the walk there', async () => {
    const target = await seqs(1000);
    const pages = await tampered(target.seq, 'update', () => walk(700, { batch: 300 }));
    expect(pages).toHaveLength(2);
    expect(pages[0]).toMatchObject({ intact: true, checked: 700 });
    expect(pages[1]).toEqual({
      intact: false,
      checked: 300,
      verifiedThrough: Number((await seqs(999)).seq),
      firstBroken: { seq: Number(target.seq), id: target.id, reason: 'content_changed', detail: 'the row no longer matches its hash' },
    });
  });

  it('catches the row a page ended on when it changes or goes before the next page', async () => {
    const [first] = await walk(700);
    const end = await seqs(699);
    expect(first).toMatchObject({ intact: true, verifiedThrough: Number(end.seq), continue: expect.any(String) });
    const next = () => verifyChain(db, { limit: 700, continue: first!.continue });
    expect(await tampered(end.seq, 'update', next)).toMatchObject({
      intact: false,
      checked: 0,
      firstBroken: { seq: Number(end.seq), id: end.id, reason: 'content_changed' },
    });
    expect(await tampered(end.seq, 'delete', next)).toMatchObject({
      intact: false,
      checked: 0,
      firstBroken: { seq: Number(end.seq), id: end.id, reason: 'chain_broken', detail: expect.stringContaining('is gone') },
    });
    // Deleting the row before it breaks the link the resumed walk vouches for.
    expect(await tampered((await seqs(698)).seq, 'delete', next)).toMatchObject({
      intact: false,
      firstBroken: { seq: Number(end.seq), reason: 'chain_broken' },
    });
    expect(await next()).toMatchObject({ intact: true, checked: 700 });
  });

  it('refuses to vouch for the rest of the chain from a token whose hash it did not hand out', async () => {
    const target = await seqs(1500);
    const forged = Buffer.from(JSON.stringify({ seq: Number(target.seq), id: target.id, hash: 'f'.repeat(64) })).toString('base64url');
    // A break behind the forged resume point stays out of reach, but the walk never reports intact.
    const pages = await tampered((await seqs(1000)).seq, 'update', () => walk(700, {}, forged));
    expect(pages).toEqual([
      {
        intact: false,
        checked: 0,
        firstBroken: { seq: Number(target.seq), id: target.id, reason: 'content_changed', detail: expect.stringContaining('token') },
      },
    ]);
  });

  it('refuses a token that is not one as validation_failed naming query.continue', async () => {
    const wrongShape = Buffer.from(JSON.stringify({ seq: 3, id: 'x', hash: 'not-hex' })).toString('base64url');
    for (const token of ['not-a-token', wrongShape]) {
      await expect(verifyChain(db, { limit: 10, continue: token })).rejects.toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'query.continue', message: 'not a token this API returned' }],
      });
    }
  });
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
        event(10_000 + i, {
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
    await expect(page({ continue: 'not-a-token' })).rejects.toMatchObject({
      code: 'validation_failed',
      errors: [{ path: 'query.continue', message: 'not a token this API returned' }],
    });
  });
});
