import { Migration } from '@mikro-orm/migrations';

/** The deliveries table: one row per (principal scope, deliveryId), the stored answer included. */
export class Migration20261125000001Deliveries extends Migration {
  override async up(): Promise<void> {
    this.addSql('create schema if not exists gateway');
    this.addSql(`create table if not exists gateway.deliveries (
      request_key text primary key,
      principal text not null,
      delivery_id text not null,
      fingerprint text not null,
      resource_id uuid not null,
      kind text not null,
      verb text not null,
      namespace text not null,
      name text,
      message jsonb not null,
      state text not null default 'pending' check (state in ('pending', 'completed')),
      published_at timestamptz,
      status_code integer,
      content_type text,
      response_body text,
      resource jsonb,
      created_at timestamptz not null default now(),
      completed_at timestamptz,
      expires_at timestamptz not null
    )`);
    this.addSql('create index if not exists deliveries_resource_id on gateway.deliveries (resource_id)');
    this.addSql('create index if not exists deliveries_expires_at on gateway.deliveries (expires_at)');
    this.addSql(
      "create index if not exists deliveries_unpublished on gateway.deliveries (created_at) where state = 'pending' and published_at is null",
    );
  }
}

/**
 * Attempts: a request rejected for a retryable reason (`concurrency_limit`) is `retryable`, not
 * completed; a retry with the same deliveryId reopens it as the next attempt.
 */
export class Migration20261126000001Attempts extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table gateway.deliveries add column if not exists attempt integer not null default 1');
    this.addSql('alter table gateway.deliveries drop constraint if exists deliveries_state_check');
    this.addSql(
      "alter table gateway.deliveries add constraint deliveries_state_check check (state in ('pending', 'completed', 'retryable'))",
    );
  }
}

/**
 * Held for approval: `awaiting` keeps the 202 a retry replays while an approver decides; the
 * request's outcome then completes the row as it would a pending one.
 */
export class Migration20261126000002Awaiting extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table gateway.deliveries drop constraint if exists deliveries_state_check');
    this.addSql(
      "alter table gateway.deliveries add constraint deliveries_state_check check (state in ('pending', 'completed', 'retryable', 'awaiting'))",
    );
  }
}

export const GATEWAY_MIGRATIONS = [
  { name: 'Migration20261125000001Deliveries', class: Migration20261125000001Deliveries },
  { name: 'Migration20261126000001Attempts', class: Migration20261126000001Attempts },
  { name: 'Migration20261126000002Awaiting', class: Migration20261126000002Awaiting },
];
