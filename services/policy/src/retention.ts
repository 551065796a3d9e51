/**
 * Retention of what the policy service keeps only while it matters: queue entries that left the
 * queue, approvals decided and carried out, and slots released. Each is kept `retentionHours` past
 * the moment it started to matter (queued, decided, acquired), which is never earlier than the
 * gateway stored the request; with the gateway's idempotency retention no longer than this, a
 * retry of a purged request is a new request at the gateway too, and never reaches policy as an
 * old one. A budget charge is kept while its Budget counts it (within the Budget's period) and at
 * least `retentionHours`; a charge of a Budget that is gone, or counts runs no more, goes once past
 * retention. Charges are purged only when the caller knows every Budget (its informers listed):
 * a Budget missing from a partial view would lose the charges it still counts.
 */
import { deleteInBatches, PURGE_BATCH, type Database } from '@jangar/service-kit/db';
import type { RunPeriod } from './budgets.js';

/** What one purge deleted, per table. */
export interface PurgeCounts {
  queue: number;
  approvals: number;
  slots: number;
  decisions: number;
  charges: number;
}

const PURGES: Record<Exclude<keyof PurgeCounts, 'charges'>, string> = {
  queue: `delete from policy.run_queue where id in (
      select id from policy.run_queue where state <> 'Queued' and settled_at < now() - make_interval(hours => ?) limit ?)`,
  // An approval decided but not yet carried out (`released_at` null) still has work to do.
  approvals: `delete from policy.approvals where id in (
      select id from policy.approvals where state <> 'Pending' and released_at is not null
        and coalesce(decided_at, created_at) < now() - make_interval(hours => ?) limit ?)`,
  // A released slot still counts in the rate windows it started in; the longest is a day.
  slots: `delete from policy.run_slots where request_key in (
      select request_key from policy.run_slots where released_at is not null
        and acquired_at < now() - make_interval(hours => ?) limit ?)`,
  // A request redelivered past retention is a new request at the gateway too.
  decisions: `delete from policy.first_decisions where (request_key, attempt) in (
      select request_key, attempt from policy.first_decisions where decided_at < now() - make_interval(hours => ?) limit ?)`,
};

// The Budgets are passed as JSON and materialized once; a charge stays while one of them counts it.
const CHARGES = `with live as materialized (select * from jsonb_to_recordset(?::jsonb) as b(key text, secs double precision))
  delete from policy.budget_charges where (budget, request_key) in (
    select c.budget, c.request_key from policy.budget_charges c
     where c.charged_at < now() - make_interval(hours => ?)
       and not exists (select 1 from live where live.key = c.budget and c.charged_at > now() - make_interval(secs => live.secs))
     limit ?)`;

/**
 * Deletes what is past retention, in batches; returns how many rows of each table went. Budget
 * charges go only when `budgets` lists every Budget that counts runs.
 */
export async function purgeExpired(
  db: Database,
  retentionHours: number,
  opts: { budgets?: readonly RunPeriod[] | undefined; batch?: number } = {},
): Promise<PurgeCounts> {
  const batch = opts.batch ?? PURGE_BATCH;
  const counts: PurgeCounts = { queue: 0, approvals: 0, slots: 0, decisions: 0, charges: 0 };
  const inBatches = (sql: string, params: unknown[]) => deleteInBatches(db, sql, params, batch);
  for (const table of Object.keys(PURGES) as Array<keyof typeof PURGES>) counts[table] = await inBatches(PURGES[table], [retentionHours]);
  if (opts.budgets) {
    const live = JSON.stringify(opts.budgets.map((b) => ({ key: b.key, secs: b.periodMs / 1000 })));
    counts.charges = await inBatches(CHARGES, [live, retentionHours]);
  }
  return counts;
}
