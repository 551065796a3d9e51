import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainVerification } from '@jangar/contracts';
import type { Database } from '@jangar/service-kit/db';
import { AUDIT_DATABASE } from '../src/database.js';
import { AuditWriter } from '../src/group-commit.js';
import { verifyChain, type VerifyOptions } from '../src/queries.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';
import { auditEvent } from './fixtures.js';

let scratch: ScratchDatabase;
let db: Database;

// Enough rows for several pages and several batches per page.
const CHAIN = 3000;

beforeAll(async () => {
  scratch = await scratchDatabase('audit-paging', AUDIT_DATABASE);
  db = scratch.db;
  const writer = new AuditWriter(db);
  // Concurrent, so the group commit writes the chain in a few transactions.
  await Promise.all(Array.from({ length: CHAIN }, (_, i) => writer.append(auditEvent(i))));
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
