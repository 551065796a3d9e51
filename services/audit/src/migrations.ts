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

export const AUDIT_MIGRATIONS = [
  { name: 'Migration20261125000201Audit', class: Migration20261125000201Audit },
  { name: 'Migration20261125000202Revisions', class: Migration20261125000202Revisions },
  { name: 'Migration20261125000203RunCorrelation', class: Migration20261125000203RunCorrelation },
];
