import { Migration } from '@mikro-orm/migrations';

/** Current normalized state of every run, indexed for the reads the API serves. */
export class Migration20261125000101Runs extends Migration {
  override async up(): Promise<void> {
    this.addSql('create schema if not exists status');
    this.addSql(`create table if not exists status.runs (
      id text primary key,
      uid text not null unique,
      type text not null,
      namespace text not null,
      name text not null,
      phase text not null,
      labels jsonb not null default '{}',
      resource_version text not null,
      status_digest text not null,
      run jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql('create index if not exists runs_namespace_created on status.runs (namespace, type, created_at desc)');
    this.addSql('create index if not exists runs_phase on status.runs (phase)');
    this.addSql('create index if not exists runs_labels on status.runs using gin (labels)');
  }
}

/** The last resourceVersion fully processed per run kind, so a restart resumes its watch from there. */
export class Migration20261125000102WatchState extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists status.watch_state (
      kind text primary key,
      resource_version text not null,
      updated_at timestamptz not null default now()
    )`);
  }
}

/**
 * Indexes in the lists' own order (`created_at desc, id desc`), so a page reads its 50 runs off
 * the index instead of sorting every run of the namespace (or of the store): with 100k runs
 * stored, that sort made a first page take hundreds of milliseconds. One serves lists of a
 * namespace and their `continue` pages (the cursor is an index condition on it), the other lists
 * over every namespace.
 */
export class Migration20261126000103ListOrder extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index if not exists runs_namespace_created_id on status.runs (namespace, created_at desc, id desc)');
    this.addSql('create index if not exists runs_created_id on status.runs (created_at desc, id desc)');
  }
}

/**
 * Runs that waited before they existed — in a queue, or for an approver — and those refused after
 * waiting, so the lists show them as GET /v1/runs/{id} does. `observed_at` is the time of the event
 * last written (a decision's or an outcome's), so an older event arriving late never overwrites a
 * newer one. A run that comes to exist is listed from `status.runs` instead.
 */
export class Migration20261126000104WaitingRuns extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists status.waiting_runs (
      id text primary key,
      type text not null,
      namespace text not null,
      name text not null,
      phase text not null,
      labels jsonb not null default '{}',
      run jsonb not null,
      created_at timestamptz not null,
      observed_at timestamptz not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(
      'create index if not exists waiting_runs_namespace_created_id on status.waiting_runs (namespace, created_at desc, id desc)',
    );
    this.addSql('create index if not exists waiting_runs_created_id on status.waiting_runs (created_at desc, id desc)');
  }
}

/**
 * A waiting run's row may be kept unlisted: a refusal processed before the decision that held the
 * run (two consumers, so they may come in either order) leaves an unlisted row at its time, so the
 * older decision, arriving after it, cannot list the run as Pending for good.
 */
export class Migration20261126000105WaitingRunsListed extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table status.waiting_runs add column if not exists listed boolean not null default true');
  }
}

export const STATUS_MIGRATIONS = [
  { name: 'Migration20261125000101Runs', class: Migration20261125000101Runs },
  { name: 'Migration20261125000102WatchState', class: Migration20261125000102WatchState },
  { name: 'Migration20261126000103ListOrder', class: Migration20261126000103ListOrder },
  { name: 'Migration20261126000104WaitingRuns', class: Migration20261126000104WaitingRuns },
  { name: 'Migration20261126000105WaitingRunsListed', class: Migration20261126000105WaitingRunsListed },
];
