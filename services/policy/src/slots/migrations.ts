import { Migration } from '@mikro-orm/migrations';
import {
  Migration20261126000201Approvals,
  Migration20261126000202ApprovalsCancelled,
  Migration20261127000203ApprovalDecisionKeys,
} from '../approvals/migration.js';
import {
  Migration20261126000301RunQueue,
  Migration20261126000302RunQueueSettled,
  Migration20261126000303RunQueueCancelled,
  Migration20261126000304RunQueueLeaseOwner,
} from '../queue/migration.js';

/** Concurrency slots: one row per admitted run, released when it ends. */
export class Migration20261126000101Slots extends Migration {
  override async up(): Promise<void> {
    this.addSql('create schema if not exists policy');
    this.addSql(`create table if not exists policy.run_slots (
      request_key text primary key,
      kind text not null,
      namespace text not null,
      name text not null,
      agent text,
      acquired_at timestamptz not null default now(),
      released_at timestamptz
    )`);
    this.addSql('create index if not exists run_slots_active on policy.run_slots (namespace, agent) where released_at is null');
    this.addSql('create index if not exists run_slots_run on policy.run_slots (kind, namespace, name) where released_at is null');
  }
}

/** Budget charges: one row per run a budget admitted, counted over the budget's trailing period. */
export class Migration20261126000102BudgetCharges extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists policy.budget_charges (
      budget text not null,
      request_key text not null,
      charged_at timestamptz not null default now(),
      primary key (budget, request_key)
    )`);
    this.addSql('create index if not exists budget_charges_window on policy.budget_charges (budget, charged_at)');
  }
}

/** Rate limits count the runs started in a window, per namespace and in the cluster. */
export class Migration20261126000103SlotStarts extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index if not exists run_slots_started on policy.run_slots (namespace, acquired_at)');
    this.addSql('create index if not exists run_slots_started_cluster on policy.run_slots (acquired_at)');
  }
}

/** Budgets of cpu, memory and gpu hold active runs to what they request: each slot keeps its run's requests (cores, bytes, devices). */
export class Migration20261126000104SlotResources extends Migration {
  override async up(): Promise<void> {
    for (const column of ['cpu', 'memory', 'gpu']) {
      this.addSql(`alter table policy.run_slots add column if not exists ${column} double precision not null default 0`);
    }
  }
}

/**
 * Which run a slot is for, and whether it was created: a slot is released by its run's id (a run
 * deleted and created again under its name is another run), and the reconciler frees the slot of
 * a missing run only once that run existed — an admitted run the provisioner has not created yet
 * is missing too, and still holds its place.
 */
export class Migration20261126000105SlotRunIds extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table policy.run_slots add column if not exists run_id text');
    this.addSql('alter table policy.run_slots add column if not exists created_at timestamptz');
    this.addSql('create index if not exists run_slots_run_id on policy.run_slots (run_id) where released_at is null');
  }
}

/** The first decision of each attempt of a request, replayed to its redeliveries (`decisions/store.ts`). */
export class Migration20261126000106FirstDecisions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists policy.first_decisions (
      request_key text not null,
      attempt int not null,
      decision jsonb not null,
      error jsonb,
      decided_at timestamptz not null default now(),
      primary key (request_key, attempt)
    )`);
    this.addSql('create index if not exists first_decisions_decided on policy.first_decisions (decided_at)');
  }
}

/**
 * The attempt that holds each slot. A retry of a `429` is the request's next attempt and takes the
 * slot under the same request key; the refused attempt's outcome, handled late (a replica killed
 * holding it, a backlog on the outcomes consumer), must not release it.
 */
export class Migration20261127000107SlotAttempts extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table policy.run_slots add column if not exists attempt int not null default 1');
  }
}

/**
 * The held slots in request-key order, as the reconciler walks them: released rows stay a week
 * (retention), and the primary key in that order would step over every one of them each pass.
 */
export class Migration20261127000108HeldSlotKeys extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index if not exists run_slots_held_key on policy.run_slots (request_key) where released_at is null');
  }
}

/** When the provisioner refused a slot's create: its run never started, and no Budget counts it. */
export class Migration20261127000109RefusedSlots extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table policy.run_slots add column if not exists refused_at timestamptz');
  }
}

export const POLICY_MIGRATIONS = [
  { name: 'Migration20261126000101Slots', class: Migration20261126000101Slots },
  { name: 'Migration20261126000102BudgetCharges', class: Migration20261126000102BudgetCharges },
  { name: 'Migration20261126000103SlotStarts', class: Migration20261126000103SlotStarts },
  { name: 'Migration20261126000104SlotResources', class: Migration20261126000104SlotResources },
  { name: 'Migration20261126000201Approvals', class: Migration20261126000201Approvals },
  // Added after the 03xx migrations; it needs only 0201, so a database that ran those runs it next.
  { name: 'Migration20261126000202ApprovalsCancelled', class: Migration20261126000202ApprovalsCancelled },
  { name: 'Migration20261126000301RunQueue', class: Migration20261126000301RunQueue },
  { name: 'Migration20261126000302RunQueueSettled', class: Migration20261126000302RunQueueSettled },
  { name: 'Migration20261126000303RunQueueCancelled', class: Migration20261126000303RunQueueCancelled },
  // Added after the 03xx migrations; it needs only 0104, so a database that ran those runs it next.
  { name: 'Migration20261126000105SlotRunIds', class: Migration20261126000105SlotRunIds },
  { name: 'Migration20261126000106FirstDecisions', class: Migration20261126000106FirstDecisions },
  { name: 'Migration20261126000304RunQueueLeaseOwner', class: Migration20261126000304RunQueueLeaseOwner },
  { name: 'Migration20261127000107SlotAttempts', class: Migration20261127000107SlotAttempts },
  { name: 'Migration20261127000108HeldSlotKeys', class: Migration20261127000108HeldSlotKeys },
  { name: 'Migration20261127000203ApprovalDecisionKeys', class: Migration20261127000203ApprovalDecisionKeys },
  { name: 'Migration20261127000109RefusedSlots', class: Migration20261127000109RefusedSlots },
];
