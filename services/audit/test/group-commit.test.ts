import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@jangar/service-kit/db';
import { AuditWriter } from '../src/group-commit.js';
import { AUDIT_DATABASE } from '../src/database.js';
import { verifyChain } from '../src/queries.js';
import type { NewAuditEvent } from '../src/events.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;

const event = (dedupId: string): NewAuditEvent => ({
  dedupId,
  occurredAt: new Date().toISOString(),
  actor: 'alice',
  action: 'agentrun.create',
  resourceKind: 'AgentRun',
  namespace: 'team-a',
  name: 'r',
  uid: null,
  resourceId: null,
  deliveryId: dedupId,
  correlationId: dedupId,
  traceId: null,
  decision: 'allow',
  outcome: 'created',
  summary: { n: 1 },
});

beforeAll(async () => {
  scratch = await scratchDatabase('audit', AUDIT_DATABASE);
  db = scratch.db;
});

afterAll(async () => {
  await scratch?.stop();
});

describe('the audit group commit', () => {
  it('writes a burst in few transactions and keeps the chain intact', async () => {
    const writer = new AuditWriter(db);
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => writer.append(event(`burst-${i}`))));
    expect(results.every(Boolean)).toBe(true);
    expect(writer.stats.events).toBe(300);
    expect(writer.stats.commits).toBeLessThan(300);
    expect(await verifyChain(db, { limit: 1000 })).toMatchObject({ intact: true, checked: 300 });
  });

  it('appends a dedup ID once, even twice in one batch and again later', async () => {
    const writer = new AuditWriter(db);
    const [first, second] = await Promise.all([writer.append(event('dup-1')), writer.append(event('dup-1'))]);
    expect([first, second].sort()).toEqual([false, true]);
    expect(await writer.append(event('dup-1'))).toBe(false);
    const rows = await db.query<{ n: number }>("select count(*)::int as n from audit.audit_events where dedup_id = 'dup-1'");
    expect(rows[0]!.n).toBe(1);
  });

  it('fails only the event whose companion statement fails', async () => {
    const writer = new AuditWriter(db);
    const bad = writer.append(event('poison'), async (q) => {
      await q('select 1/0');
    });
    const good = writer.append(event('innocent'));
    await expect(bad).rejects.toThrow();
    await expect(good).resolves.toBe(true);
    expect(await verifyChain(db, { limit: 1000 })).toMatchObject({ intact: true });
  });
});
