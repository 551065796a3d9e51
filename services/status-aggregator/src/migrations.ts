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

export const STATUS_MIGRATIONS = [
  { name: 'Migration20261125000101Runs', class: Migration20261125000101Runs },
  { name: 'Migration20261125000102WatchState', class: Migration20261125000102WatchState },
];
