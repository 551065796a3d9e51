import { Migration } from '@mikro-orm/migrations';

/**
 * Approvals: one row per request held for an approver, from hold to decision. `released_at` is
 * the outbox mark — a decided approval whose consequence (provision, or reject) is not yet on the
 * bus is settled again by the sweep, so a crash between decision and publish loses nothing.
 */
export class Migration20261126000201Approvals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists policy.approvals (
      id uuid primary key,
      request_key text not null unique,
      state text not null default 'Pending' check (state in ('Pending', 'Approved', 'Denied', 'Expired')),
      namespace text not null,
      kind text not null,
      verb text not null,
      name text,
      requested_by text not null,
      delivery_id text not null,
      correlation_id text not null,
      approver_role text not null,
      gates jsonb not null,
      message jsonb not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      decided_by text,
      decided_at timestamptz,
      decision_delivery_id text,
      reason text,
      released_at timestamptz
    )`);
    this.addSql('create index if not exists approvals_listing on policy.approvals (namespace, created_at desc, id desc)');
    this.addSql("create index if not exists approvals_due on policy.approvals (expires_at) where state = 'Pending'");
    this.addSql(
      "create index if not exists approvals_unreleased on policy.approvals (decided_at) where state <> 'Pending' and released_at is null",
    );
  }
}

/**
 * A delete of a run held for approval cancels the approval: a fifth state, and the delete that did
 * it (its request key), so a redelivered delete finds its own work.
 */
export class Migration20261126000202ApprovalsCancelled extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table policy.approvals drop constraint if exists approvals_state_check');
    this.addSql(
      "alter table policy.approvals add constraint approvals_state_check check (state in ('Pending', 'Approved', 'Denied', 'Expired', 'Cancelled'))",
    );
    this.addSql('alter table policy.approvals add column if not exists cancelled_by text');
  }
}

/**
 * An approver's decisions by deliveryId: a deliveryId that decided one approval must not decide
 * another, and the decision looks for it across approvals under the row's lock.
 */
export class Migration20261127000203ApprovalDecisionKeys extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create index if not exists approvals_decision_key on policy.approvals (decided_by, decision_delivery_id) where decision_delivery_id is not null',
    );
  }
}
