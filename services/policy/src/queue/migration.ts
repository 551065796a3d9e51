import { Migration } from '@mikro-orm/migrations';

/**
 * The run queue: one row per run a concurrency or rate limit holds back, from `Queued` until it is
 * admitted, refused or expires. `leased_until` lets one policy replica at a time try a row, and
 * a replica that dies mid-try loses its lease, not the row.
 */
export class Migration20261126000301RunQueue extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists policy.run_queue (
      id uuid primary key,
      request_key text not null unique,
      attempt integer not null,
      state text not null default 'Queued' check (state in ('Queued', 'Admitted', 'Rejected', 'Expired')),
      namespace text not null,
      kind text not null,
      name text,
      agent text,
      reason text not null check (reason in ('ConcurrencyLimit', 'RateLimit')),
      detail text not null,
      message jsonb not null,
      enqueued_at timestamptz not null default now(),
      expires_at timestamptz not null,
      leased_until timestamptz,
      settled_at timestamptz
    )`);
    this.addSql("create index if not exists run_queue_waiting on policy.run_queue (enqueued_at) where state = 'Queued'");
    this.addSql("create index if not exists run_queue_namespace on policy.run_queue (namespace, enqueued_at) where state = 'Queued'");
  }
}

/** The retention purge looks for entries that left the queue long ago. */
export class Migration20261126000302RunQueueSettled extends Migration {
  override async up(): Promise<void> {
    this.addSql("create index if not exists run_queue_settled on policy.run_queue (settled_at) where state <> 'Queued'");
  }
}

/** A delete of a queued run cancels it: a fifth state, and the delete that did it (so a redelivered delete finds its own work). */
export class Migration20261126000303RunQueueCancelled extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table policy.run_queue drop constraint if exists run_queue_state_check');
    this.addSql(
      "alter table policy.run_queue add constraint run_queue_state_check check (state in ('Queued', 'Admitted', 'Rejected', 'Expired', 'Cancelled'))",
    );
    this.addSql('alter table policy.run_queue add column if not exists cancelled_by text');
  }
}

/**
 * Leases are taken one run at a time, just before its try, and held by their owner (a drainer)
 * for as long as the try lasts: `leased_by` lets only the owner renew or give back its lease.
 */
export class Migration20261126000304RunQueueLeaseOwner extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table policy.run_queue add column if not exists leased_by uuid');
  }
}
