import { Migration } from '@mikro-orm/migrations';

/** Audit events (append-only, hash-chained), policy decisions and run lifecycle history. */
export class Migration20261125000201Audit extends Migration {
  override async up(): Promise<void> {
    this.addSql('create schema if not exists audit');
    this.addSql(`create table if not exists audit.audit_events (
      seq bigserial primary key,
      id uuid not null unique,
      dedup_id text not null unique,
      occurred_at timestamptz not null,
      recorded_at timestamptz not null default now(),
      actor text not null,
      action text not null,
      resource_kind text not null,
      namespace text not null,
      name text,
      uid text,
      resource_id text,
      delivery_id text not null,
      correlation_id text not null,
      trace_id text,
      decision text,
      outcome text not null,
      summary jsonb not null,
      prev_hash text not null,
      hash text not null
    )`);
    this.addSql('create index if not exists audit_events_namespace_time on audit.audit_events (namespace, occurred_at desc)');
    this.addSql('create index if not exists audit_events_correlation on audit.audit_events (correlation_id)');
    this.addSql('create index if not exists audit_events_resource on audit.audit_events (resource_id)');
    // Append-only: updates and deletes are refused by the database itself.
    this.addSql(`create or replace function audit.refuse_change() returns trigger language plpgsql as $$
      begin raise exception 'audit.audit_events is append-only'; end $$`);
    this.addSql('drop trigger if exists audit_events_append_only on audit.audit_events');
    this.addSql(
      'create trigger audit_events_append_only before update or delete on audit.audit_events for each row execute function audit.refuse_change()',
    );
    this.addSql(`create table if not exists audit.policy_decisions (
      dedup_id text primary key,
      request_key text not null,
      delivery_id text not null,
      correlation_id text not null,
      actor text not null,
      kind text not null,
      verb text not null,
      namespace text not null,
      resource_id text not null,
      verdict text not null,
      mode text not null,
      violations jsonb not null,
      policy_version text not null,
      trace_id text,
      decided_at timestamptz not null,
      recorded_at timestamptz not null default now()
    )`);
    this.addSql(`create table if not exists audit.run_history (
      dedup_id text primary key,
      run_id text not null,
      uid text not null,
      type text not null,
      namespace text not null,
      name text not null,
      phase text not null,
      previous_phase text,
      reason text,
      message text,
      resource_version text not null,
      conditions jsonb not null,
      observed_at timestamptz not null,
      recorded_at timestamptz not null default now()
    )`);
    this.addSql('create index if not exists run_history_run on audit.run_history (run_id, observed_at)');
  }
}

/** Every spec revision of a primitive, for the revision timeline. */
export class Migration20261125000202Revisions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists audit.revisions (
      dedup_id text primary key,
      kind text not null,
      namespace text not null,
      name text not null,
      uid text not null,
      resource_id text not null,
      generation integer not null,
      resource_version text not null,
      spec jsonb not null,
      labels jsonb not null,
      actor text not null,
      delivery_id text not null,
      occurred_at timestamptz not null,
      unique (uid, generation)
    )`);
    this.addSql('create index if not exists revisions_resource on audit.revisions (kind, namespace, name, generation)');
  }
}

/**
 * The correlation id and parent run of each recorded run transition, so a correlation finds the
 * runs an orchestration started (they carry its correlation id but no request of their own).
 * Additive: rows recorded before it keep nulls and are still found through their requests.
 */
export class Migration20261125000203RunCorrelation extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table audit.run_history add column if not exists correlation_id text');
    this.addSql('alter table audit.run_history add column if not exists parent_type text');
    this.addSql('alter table audit.run_history add column if not exists parent_name text');
    this.addSql(
      'create index if not exists run_history_correlation on audit.run_history (correlation_id) where correlation_id is not null',
    );
  }
}

/**
 * Which runs each correlation id ties together, one row per (correlation, run), numbered in the
 * order audit records them: a correlation's runs page by that number instead of re-sorting every
 * correlated run's history on every page, and a run recorded late is numbered after the runs a
 * walk has already passed, so the walk still reaches it.
 *
 * Triggers keep it, not the writers: a replica still running the code before this migration (a
 * rolling upgrade) records rows the next page must find too. Creating them locks the two tables
 * against inserts until the migration commits, so the backfill below misses no row either.
 */
export class Migration20261125000204CorrelationRuns extends Migration {
  override async up(): Promise<void> {
    // `observed`: whether the run had history when the row got its seq. A run known only from its
    // request has nothing to list yet; its first history renumbers it (once) so a walk that passed
    // it meanwhile still reaches it.
    this.addSql(`create table if not exists audit.correlation_runs (
      correlation_id text not null,
      run_id text not null,
      namespace text not null,
      seq bigint generated always as identity,
      observed boolean not null,
      primary key (correlation_id, run_id)
    )`);
    this.addSql('create index if not exists correlation_runs_page on audit.correlation_runs (correlation_id, seq)');
    // Numbering holds one transaction-scoped advisory lock until commit, so among the transactions
    // that number runs, seq order is commit order: a page never lists a run numbered after one still
    // being recorded, which a walk that passed its number would never come back to. Only a statement
    // with something to number takes it; statuses of runs already listed (the steady state) take no
    // lock and touch no row of this table. It is the only lock a history writer takes here, and the
    // audit writer takes it after the chain lock, so the two cannot wait on each other in a cycle.
    // One statement per insert statement, over the rows it actually inserted (a redelivery inserts none).
    this.addSql(`create or replace function audit.correlate_recorded_history() returns trigger language plpgsql as $$
      begin
        if not exists (
          select 1 from recorded r
          where r.correlation_id is not null
            and not exists (select 1 from audit.correlation_runs m where m.correlation_id = r.correlation_id and m.run_id = r.run_id and m.observed)
        ) then
          return null;
        end if;
        perform pg_advisory_xact_lock(hashtext('jangar:audit-correlation-runs'));
        -- A statement of its own, so it sees what committed while this one waited for the lock.
        insert into audit.correlation_runs as m (correlation_id, run_id, namespace, observed)
        select r.correlation_id, r.run_id, min(r.namespace), true from recorded r
        where r.correlation_id is not null
          and not exists (select 1 from audit.correlation_runs o where o.correlation_id = r.correlation_id and o.run_id = r.run_id and o.observed)
        group by r.correlation_id, r.run_id
        order by min(r.observed_at), r.run_id
        on conflict (correlation_id, run_id) do update set seq = default, observed = true where not m.observed;
        return null;
      end $$`);
    this.addSql('drop trigger if exists run_history_correlation_runs on audit.run_history');
    this.addSql(`create trigger run_history_correlation_runs after insert on audit.run_history
      referencing new table as recorded for each statement execute function audit.correlate_recorded_history()`);
    this.addSql(`create or replace function audit.correlate_run_request() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from audit.correlation_runs where correlation_id = new.correlation_id and run_id = new.resource_id) then
          return null;
        end if;
        perform pg_advisory_xact_lock(hashtext('jangar:audit-correlation-runs'));
        insert into audit.correlation_runs (correlation_id, run_id, namespace, observed)
        values (new.correlation_id, new.resource_id, new.namespace, exists (select 1 from audit.run_history h where h.run_id = new.resource_id))
        on conflict do nothing;
        return null;
      end $$`);
    this.addSql('drop trigger if exists audit_events_correlation_runs on audit.audit_events');
    this.addSql(`create trigger audit_events_correlation_runs after insert on audit.audit_events for each row
      when (new.resource_kind like '%Run' and new.resource_id is not null) execute function audit.correlate_run_request()`);
    // A page reads each listed run's latest transition; the run history reads the same index backwards.
    // Not built concurrently (a migration runs in a transaction): inserts into run_history wait for it.
    this.addSql('create index if not exists run_history_latest on audit.run_history (run_id, observed_at desc, recorded_at desc)');
    // run_history_run and run_history_correlation stay: a replica still running the query before this
    // migration (a rolling upgrade) reads by them, and dropping them here would hold run_history's
    // ACCESS EXCLUSIVE lock through the backfill below. A later migration can drop both once no
    // replica runs that query.
    // Numbered by first sighting, then id: for runs with history, the order pages had before.
    this.addSql(`insert into audit.correlation_runs (correlation_id, run_id, namespace, observed)
      select c.correlation_id, c.run_id, coalesce(h.namespace, c.namespace), h.first_seen is not null
      from (
        select correlation_id, run_id, min(namespace) as namespace, min(at) as at from (
          select correlation_id, run_id, namespace, observed_at as at from audit.run_history where correlation_id is not null
          union all
          select correlation_id, resource_id, namespace, occurred_at from audit.audit_events
          where resource_kind like '%Run' and resource_id is not null
        ) sighting
        group by correlation_id, run_id
      ) c
      cross join lateral (
        select min(observed_at) as first_seen, min(namespace) as namespace from audit.run_history where run_id = c.run_id
      ) h
      order by coalesce(h.first_seen, c.at), c.run_id
      on conflict do nothing`);
  }
}

/**
 * A run's history by its uid: `GET /v1/runs/{id}/history` takes either id, and the `or` of the two
 * can use an index only when both halves have one; without this, every page read the whole table.
 */
export class Migration20261127000205RunHistoryUid extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index if not exists run_history_uid on audit.run_history (uid)');
  }
}

export const AUDIT_MIGRATIONS = [
  { name: 'Migration20261125000201Audit', class: Migration20261125000201Audit },
  { name: 'Migration20261125000202Revisions', class: Migration20261125000202Revisions },
  { name: 'Migration20261125000203RunCorrelation', class: Migration20261125000203RunCorrelation },
  { name: 'Migration20261125000204CorrelationRuns', class: Migration20261125000204CorrelationRuns },
  { name: 'Migration20261127000205RunHistoryUid', class: Migration20261127000205RunHistoryUid },
];
