/**
 * Retention of what the policy service keeps only while it matters: queue entries that left the
 * queue, approvals decided and carried out, and slots released. Each is kept `retentionHours` past
 * the moment it started to matter (queued, decided, acquired), which is never earlier than the
 * gateway stored the request; with the gateway's idempotency retention no longer than this, a
 * retry of a purged request is a new request at the gateway too, and never reaches policy as an
 * old one. Budget charges stay: a Budget's period has no upper bound.
 */
import type { Database } from '@jangar/service-kit/db';

/** What one purge deleted, per table. */
export interface PurgeCounts {
  queue: number;
  approvals: number;
  slots: number;
}

/** Each statement deletes at most this many rows, so no purge holds locks on a large table for long. */
const BATCH = 5_000;

const PURGES: Record<keyof PurgeCounts, string> = {
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
};

/** Deletes what is past retention, in batches; returns how many rows of each table went. */
export async function purgeExpired(db: Database, retentionHours: number, batch = BATCH): Promise<PurgeCounts> {
  const counts: PurgeCounts = { queue: 0, approvals: 0, slots: 0 };
  for (const table of Object.keys(PURGES) as Array<keyof PurgeCounts>) {
    for (;;) {
      const rows = await db.query(`${PURGES[table]} returning 1`, [retentionHours, batch]);
      counts[table] += rows.length;
      if (rows.length < batch) break;
    }
  }
  return counts;
}
