import { defineEntity, p } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPg, scratchPostgres, waitFor, type PostgresHandle } from '@jangar/devstack';
import { createLogger } from '../src/logger.js';
import { TransientError } from '../src/errors.js';
import { IDLE_IN_TRANSACTION_MS, openDatabase, schemaDrift, type Database } from '../src/db.js';

let pg: PostgresHandle;
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  pg = await scratchPostgres('db');
});

afterAll(async () => {
  await pg?.stop();
});

/** Not idempotent on purpose: run twice, the second `create table` fails and the counter shows 2. */
class CreateLedger extends Migration {
  override async up(): Promise<void> {
    this.addSql('create schema if not exists ledger');
    this.addSql('create table ledger.entries (id integer primary key, note text not null)');
    this.addSql("insert into ledger.entries (id, note) values (1, 'migrated')");
  }
}
const LEDGER_MIGRATIONS = [{ name: 'CreateLedger', class: CreateLedger }];

describe('openDatabase', () => {
  it('migrates once when several replicas start at the same time; the others wait, then find nothing to do', async () => {
    // Hold the migration lock ourselves, so every replica is provably queued on it before any runs.
    const holder = await connectPg(pg.url);
    await holder.query('select pg_advisory_lock(hashtext($1))', ['jangar:migrate:ledger']);
    const replicas = Array.from({ length: 3 }, () =>
      openDatabase({ url: pg.url, schema: 'ledger', migrations: LEDGER_MIGRATIONS, logger }),
    );
    await waitFor('three replicas waiting on the migration lock', async () => {
      const { rows } = await holder.query<{ n: number }>(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted",
      );
      return rows[0]!.n === 3;
    });
    const { rows: before } = await holder.query("select to_regclass('ledger.entries') as t");
    expect(before[0]!.t).toBeNull();

    await holder.query('select pg_advisory_unlock(hashtext($1))', ['jangar:migrate:ledger']);
    await holder.end();
    const dbs = await Promise.all(replicas);
    try {
      expect(await dbs[0]!.query('select id, note from ledger.entries')).toEqual([{ id: 1, note: 'migrated' }]);
      const applied = await dbs[0]!.query<{ name: string }>('select name from ledger.mikro_orm_migrations');
      expect(applied.map((r) => r.name)).toEqual(['CreateLedger']);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});

describe('the connections of a service', () => {
  it('name the service in pg_stat_activity, unless the URL names them itself', async () => {
    const named = await openDatabase({ url: pg.url, schema: 'ledger', migrations: LEDGER_MIGRATIONS, logger });
    const own = await openDatabase({
      url: `${pg.url}?application_name=operator-chosen`,
      schema: 'ledger',
      migrations: LEDGER_MIGRATIONS,
      logger,
    });
    try {
      const nameOf = async (db: Database) =>
        (await db.query<{ name: string }>('select application_name as name from pg_stat_activity where pid = pg_backend_pid()'))[0]?.name;
      expect(await nameOf(named)).toBe('jangar-ledger');
      expect(await nameOf(own)).toBe('operator-chosen');
    } finally {
      await Promise.all([named.close(), own.close()]);
    }
  });

  it('are ended by the server once they sit idle inside a transaction for a minute, so a lost replica cannot hold its locks', async () => {
    const db = await openDatabase({ url: pg.url, schema: 'ledger', migrations: LEDGER_MIGRATIONS, logger });
    try {
      const [row] = await db.query<{ ms: string }>(
        "select extract(epoch from current_setting('idle_in_transaction_session_timeout')::interval) * 1000 as ms",
      );
      expect(Number(row?.ms)).toBe(IDLE_IN_TRANSACTION_MS);
    } finally {
      await db.close();
    }
  });

  it('are opened at start up to the minimum, and kept open while idle', async () => {
    const url = `${pg.url}?application_name=pool-min-test`;
    const open = async () =>
      (await holderQuery<{ n: number }>("select count(*)::int as n from pg_stat_activity where application_name = 'pool-min-test'"))[0]!.n;
    const db = await openDatabase({ url, schema: 'ledger', migrations: LEDGER_MIGRATIONS, logger, poolMin: 4, poolMax: 6 });
    try {
      expect(await open()).toBe(4);
      // One statement at a time needs one connection; the other three stay.
      for (let i = 0; i < 20; i++) await db.query('select 1');
      expect(await open()).toBe(4);
    } finally {
      await db.close();
    }
  });
});

/** A statement on a connection of the test's own. */
async function holderQuery<T>(sql: string): Promise<T[]> {
  const client = await connectPg(pg.url);
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('schemaDrift', () => {
  let db: Database;
  afterAll(async () => db?.close());

  it('names every difference between the entities and what the migrations built', async () => {
    // The entity disagrees with CreateLedger twice: a nullable note, and a column no migration adds.
    const Entry = defineEntity({
      name: 'Entry',
      schema: 'ledger',
      tableName: 'entries',
      properties: { id: p.integer().primary(), note: p.text().nullable(), author: p.text() },
    });
    db = await openDatabase({ url: pg.url, schema: 'ledger', migrations: LEDGER_MIGRATIONS, entities: [Entry], logger });
    const drift = await schemaDrift(db);
    expect(drift).toContainEqual(expect.stringMatching(/add column "author" text not null/));
    expect(drift).toContainEqual(expect.stringMatching(/alter column "note" drop not null/));
  });
});

describe('a lost connection', () => {
  it('is a TransientError for entity reads and raw statements alike', async () => {
    // A cluster of its own, since this test stops it.
    const lost = await scratchPostgres('db-lost');
    const Entry = defineEntity({
      name: 'Entry',
      schema: 'ledger',
      tableName: 'entries',
      properties: { id: p.integer().primary(), note: p.text() },
    });
    const db = await openDatabase({ url: lost.url, schema: 'ledger', migrations: LEDGER_MIGRATIONS, entities: [Entry], logger });
    try {
      expect(await db.withEm((em) => em.count(Entry))).toBe(1);
      await lost.stop();
      await expect(db.withEm((em) => em.count(Entry))).rejects.toBeInstanceOf(TransientError);
      await expect(db.query('select 1')).rejects.toBeInstanceOf(TransientError);
    } finally {
      await db.close();
      await lost.stop();
    }
  });
});

describe('a Postgres that hangs', () => {
  it('fails each call with a TransientError at the deadline, and the write it cut short is there once Postgres answers again', async () => {
    // A cluster of its own, since this test stops its processes.
    const hung = await scratchPostgres('db-hung');
    const db = await openDatabase({ url: hung.url, schema: 'ledger', migrations: LEDGER_MIGRATIONS, logger, poolMin: 1, deadlineMs: 500 });
    try {
      await hung.pause();
      // SIGSTOP breaks no connection: without a deadline these calls would wait for as long as it lasts.
      const write = db.query("insert into ledger.entries (id, note) values (2, 'written while hung')");
      await expect(write).rejects.toThrow(TransientError);
      await expect(write).rejects.toThrow('the database did not answer within 500 ms');
      await expect(db.transaction((q) => q('select count(*) from ledger.entries'))).rejects.toThrow(TransientError);
      expect(await db.ping()).toBe(false);

      hung.resume();
      await waitFor('the cut-short insert to be committed', async () => {
        const rows = await db.query<{ note: string }>('select note from ledger.entries where id = 2');
        return rows.length === 1 ? true : undefined;
      });
      // Let go, it has the hung statements to finish first: a ping may miss its 500 ms once or twice.
      await waitFor('Postgres to answer a ping within the deadline', async () => ((await db.ping()) ? true : undefined));
    } finally {
      hung.resume();
      await db.close();
      await hung.stop();
    }
  });
});
