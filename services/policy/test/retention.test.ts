import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@jangar/service-kit/db';
import { POLICY_DATABASE } from '../src/database.js';
import { purgeExpired } from '../src/retention.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/database.js';

let scratch: ScratchDatabase;
let db: Database;

beforeAll(async () => {
  scratch = await scratchDatabase('policy-retention', POLICY_DATABASE);
  db = scratch.db;
});

afterAll(async () => {
  await scratch?.stop();
});

const DAY = 24;
/** A timestamp `hours` ago, as SQL. */
const ago = (hours: number) => `now() - make_interval(hours => ${hours})`;

async function queueEntry(key: string, state: string, settledHoursAgo: number | null): Promise<void> {
  await db.query(
    `insert into policy.run_queue (id, request_key, attempt, state, namespace, kind, reason, detail, message, enqueued_at, expires_at, settled_at)
     values (?, ?, 1, ?, 'team-a', 'AgentRun', 'ConcurrencyLimit', 'full', '{}'::jsonb, ${ago(30 * DAY)}, ${ago(29 * DAY)},
             ${settledHoursAgo === null ? 'null' : ago(settledHoursAgo)})`,
    [randomUUID(), key, state],
  );
}

async function approval(key: string, state: string, decidedHoursAgo: number | null, released: boolean): Promise<void> {
  await db.query(
    `insert into policy.approvals (id, request_key, state, namespace, kind, verb, requested_by, delivery_id, correlation_id, approver_role,
       gates, message, created_at, expires_at, decided_at, released_at)
     values (?, ?, ?, 'team-a', 'AgentRun', 'create', 'alice', ?, ?, 'approver', '[]'::jsonb, '{}'::jsonb, ${ago(30 * DAY)}, ${ago(29 * DAY)},
             ${decidedHoursAgo === null ? 'null' : ago(decidedHoursAgo)}, ${released ? 'now()' : 'null'})`,
    [randomUUID(), key, state, key, key],
  );
}

async function slot(key: string, acquiredHoursAgo: number, released: boolean): Promise<void> {
  await db.query(
    `insert into policy.run_slots (request_key, kind, namespace, name, acquired_at, released_at)
     values (?, 'AgentRun', 'team-a', ?, ${ago(acquiredHoursAgo)}, ${released ? 'now()' : 'null'})`,
    [key, key],
  );
}

async function firstDecision(key: string, decidedHoursAgo: number): Promise<void> {
  await db.query(
    `insert into policy.first_decisions (request_key, attempt, decision, decided_at) values (?, 1, '{}'::jsonb, ${ago(decidedHoursAgo)})`,
    [key],
  );
}

const keys = async (table: string) =>
  (await db.query<{ request_key: string }>(`select request_key from policy.${table} order by request_key`)).map((r) => r.request_key);

describe('the retention purge', () => {
  it('deletes settled entries, carried-out or cancelled approvals and released slots past retention, and nothing that still matters', async () => {
    await queueEntry('q-waiting', 'Queued', null);
    await queueEntry('q-old-1', 'Admitted', 8 * DAY);
    await queueEntry('q-old-2', 'Expired', 9 * DAY);
    await queueEntry('q-recent', 'Rejected', 1);
    await approval('a-pending', 'Pending', null, false);
    await approval('a-old', 'Approved', 8 * DAY, true);
    await approval('a-not-carried-out', 'Approved', 8 * DAY, false);
    await approval('a-recent', 'Denied', 1, true);
    // A delete cancelled it: carried out at once (released), so it goes like a decided one.
    await approval('a-cancelled', 'Cancelled', 8 * DAY, true);
    await slot('s-active', 30 * DAY, false);
    await slot('s-old-1', 8 * DAY, true);
    await slot('s-old-2', 8 * DAY, true);
    await slot('s-old-3', 10 * DAY, true);
    await slot('s-recent', 2, true);
    await firstDecision('d-old', 8 * DAY);
    await firstDecision('d-recent', 1);

    // A batch of two makes the purge go round for the three old slots.
    expect(await purgeExpired(db, 7 * DAY, { batch: 2 })).toEqual({ queue: 2, approvals: 2, slots: 3, decisions: 1, charges: 0 });
    expect(await keys('run_queue')).toEqual(['q-recent', 'q-waiting']);
    expect(await keys('approvals')).toEqual(['a-not-carried-out', 'a-pending', 'a-recent']);
    expect(await keys('run_slots')).toEqual(['s-active', 's-recent']);
    expect(await keys('first_decisions')).toEqual(['d-recent']);

    expect(await purgeExpired(db, 7 * DAY)).toEqual({ queue: 0, approvals: 0, slots: 0, decisions: 0, charges: 0 });
  });

  it('keeps a budget charge while its Budget counts it, and deletes it past retention once no Budget does', async () => {
    const charge = (budget: string, key: string, hoursAgo: number) =>
      db.query(`insert into policy.budget_charges (budget, request_key, charged_at) values (?, ?, ${ago(hoursAgo)})`, [budget, key]);
    // A 30-day Budget still counts its 10-day-old charge; a day's Budget no longer counts its 8-day-old one.
    await charge('Budget team-a/monthly', 'c-monthly-counted', 10 * DAY);
    await charge('Budget team-a/monthly', 'c-monthly-old', 31 * DAY);
    await charge('Budget team-a/daily', 'c-daily-old', 8 * DAY);
    await charge('Budget team-a/daily', 'c-daily-recent', 2 * DAY);
    // Past the daily period but within retention: a retry of its request could still arrive.
    await charge('Budget team-a/daily', 'c-daily-retained', 3 * DAY);
    await charge('Budget team-a/deleted', 'c-deleted-old', 8 * DAY);
    await charge('Budget team-a/deleted', 'c-deleted-recent', 1);
    const budgets = [
      { key: 'Budget team-a/monthly', periodMs: 30 * 24 * 3_600_000 },
      { key: 'Budget team-a/daily', periodMs: 24 * 3_600_000 },
    ];

    // Without the whole list of Budgets, no charge goes.
    expect((await purgeExpired(db, 7 * DAY)).charges).toBe(0);
    expect(await purgeExpired(db, 7 * DAY, { budgets, batch: 2 })).toMatchObject({ charges: 3 });
    expect(await keys('budget_charges')).toEqual(['c-daily-recent', 'c-daily-retained', 'c-deleted-recent', 'c-monthly-counted']);
  });
});
