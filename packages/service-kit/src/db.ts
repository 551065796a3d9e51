/**
 * Postgres through MikroORM. Each service owns one schema and its migrations; migrations run at
 * start under a Postgres advisory lock, so replicas starting together migrate once and the others
 * wait, then find nothing to do.
 */
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { Migrator, type Migration } from '@mikro-orm/migrations';
import type { Constructor, EntitySchema } from '@mikro-orm/core';
import type { Logger } from './logger.js';

export interface Database {
  readonly orm: MikroORM;
  /** A fresh entity manager for one unit of work. */
  em(): EntityManager;
  /** Runs one SQL statement (knex `?` placeholders) and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `fn` in one transaction; `q` runs statements inside it. */
  transaction<T>(
    fn: (q: <R = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<R[]>, em: EntityManager) => Promise<T>,
  ): Promise<T>;
  /** True when a trivial query succeeds. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  /** The schema this service owns, e.g. `gateway`. */
  schema: string;
  migrations: ReadonlyArray<{ name: string; class: Constructor<Migration> }>;
  entities?: ReadonlyArray<EntitySchema>;
  logger: Logger;
  poolMax?: number;
}

/** Opens the pool and brings the service's schema up to date. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const orm = await MikroORM.init({
    clientUrl: opts.url,
    entities: [...(opts.entities ?? [])],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      tableName: `${opts.schema}.mikro_orm_migrations`,
      migrationsList: [...opts.migrations],
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: opts.poolMax ?? 10 },
    debug: false,
    allowGlobalContext: false,
  });
  const db = wrap(orm);
  await migrate(orm, opts);
  return db;
}

async function migrate(orm: MikroORM, opts: DatabaseOptions): Promise<void> {
  const knex = orm.em.getKnex();
  // A session-level lock must be taken and released on the same connection.
  const conn = await knex.client.acquireConnection();
  const lockKey = `jangar:migrate:${opts.schema}`;
  try {
    await conn.query('select pg_advisory_lock(hashtext($1))', [lockKey]);
    const applied = await orm.getMigrator().up();
    if (applied.length > 0) opts.logger.info({ schema: opts.schema, migrations: applied.map((m) => m.name) }, 'migrations applied');
  } finally {
    await conn.query('select pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    await knex.client.releaseConnection(conn);
  }
}

function wrap(orm: MikroORM): Database {
  return {
    orm,
    em: () => orm.em.fork(),
    async query(sql, params = []) {
      return (await orm.em.getConnection().execute(sql, [...params], 'all')) as never;
    },
    async transaction(fn) {
      return orm.em.fork().transactional(async (em) => {
        const ctx = em.getTransactionContext();
        const q = async (sql: string, params: readonly unknown[] = []) =>
          (await em.getConnection().execute(sql, [...params], 'all', ctx)) as never;
        return fn(q, em);
      });
    },
    async ping() {
      try {
        await orm.em.getConnection().execute('select 1', [], 'all');
        return true;
      } catch {
        return false;
      }
    },
    close: () => orm.close(true),
  };
}
