/**
 * Postgres through MikroORM. Each service owns one schema and its migrations; migrations run at
 * start under a Postgres advisory lock, so replicas starting together migrate once and the others
 * wait, then find nothing to do.
 */
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { Migrator, type Migration } from '@mikro-orm/migrations';
import type { Constructor, EntitySchema } from '@mikro-orm/core';
import { withinDeadline } from './deadline.js';
import { TransientError } from './errors.js';
import type { Logger } from './logger.js';

export interface Database {
  readonly orm: MikroORM;
  /** A fresh entity manager; its errors are not translated, so prefer {@link Database.withEm}. */
  em(): EntityManager;
  /** Runs `work` with a fresh entity manager; a lost connection becomes a TransientError, as with `query`. */
  withEm<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
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
  /** The entities of the tables this schema holds; a drift test ({@link schemaDrift}) holds them to the migrations. */
  entities?: ReadonlyArray<EntitySchema>;
  logger: Logger;
  /** Connections opened at start and kept open (default 0). */
  poolMin?: number;
  /** Connections open at most (default 10). */
  poolMax?: number;
  /**
   * How long a call (a statement, a transaction, `withEm`'s work, a ping) may take before it fails
   * with a TransientError; unset, as long as it takes. A Postgres that hangs (stopped, partitioned,
   * mid-failover) otherwise holds every caller for as long as it hangs, as TCP sees nothing wrong.
   * The statement is not cancelled: it finishes, or fails, on its connection in the background,
   * and a transaction may still commit. So a caller that retries after the TransientError must be
   * idempotent, as the gateway's claims are (an insert `on conflict do nothing`).
   */
  deadlineMs?: number;
}

/** How long the server lets a session sit idle inside a transaction before it ends it. */
export const IDLE_IN_TRANSACTION_MS = 60_000;

/** Opens the pool and brings the service's schema up to date. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const orm = await MikroORM.init({
    clientUrl: opts.url,
    // MikroORM reads the URL's parts itself and drops its query, so the name travels on its own.
    // TCP keepalive: the pool keeps its minimum open however long it idles, and a connection whose
    // server vanished without a reset (a failover by node loss, a middlebox dropping idle flows)
    // must fail within a minute or so, not hang a query until TCP gives up after many more.
    // The other way round, a replica lost with its node mid-transaction would hold that
    // transaction's locks (policy's admission lock is cluster-wide) until the server's own TCP
    // keepalive gave up, hours by default: the server ends a session idle in a transaction for a
    // minute, far longer than any transaction here waits between statements.
    driverOptions: {
      connection: {
        application_name: applicationName(opts.url, `jangar-${opts.schema}`),
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      },
    },
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
    pool: { min: opts.poolMin ?? 0, max: opts.poolMax ?? 10 },
    debug: false,
    allowGlobalContext: false,
  });
  const db = wrap(orm, opts.deadlineMs);
  await migrate(orm, opts);
  await openConnections(orm, opts.poolMin ?? 0);
  return db;
}

/**
 * Opens `count` connections now: the pool keeps its minimum once it has it, but opens nothing
 * ahead of demand. Each is held until all are, so none is handed back and reused for the next
 * (with `select 1` on each, a fast first one was, and the pool opened one fewer).
 */
async function openConnections(orm: MikroORM, count: number): Promise<void> {
  const { client } = orm.em.getKnex();
  const held = await Promise.all(Array.from({ length: count }, () => client.acquireConnection()));
  await Promise.all(held.map((c) => client.releaseConnection(c)));
}

/**
 * The connections' `application_name`: the URL's, else `fallback` (`jangar-<schema>`), so
 * `pg_stat_activity` says which service holds each connection (whose statements wait on a lock,
 * whose pool is exhausted).
 */
function applicationName(url: string, fallback: string): string {
  return new URL(url).searchParams.get('application_name') ?? fallback;
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

/** How many rows one purge statement deletes at most, unless its caller says otherwise. */
export const PURGE_BATCH = 5_000;

/**
 * Deletes in batches until a batch comes back short; returns how many rows went. `sql` is a delete
 * of at most `limit` rows (its last `?`), without a `returning` clause. One statement per batch
 * keeps a purge of a large backlog from holding row locks and one long transaction for minutes.
 */
export async function deleteInBatches(
  db: Pick<Database, 'query'>,
  sql: string,
  params: readonly unknown[],
  batch = PURGE_BATCH,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const rows = await db.query(`${sql} returning 1`, [...params, batch]);
    deleted += rows.length;
    if (rows.length < batch) return deleted;
  }
}

/**
 * The DDL MikroORM would run to make the database match the registered entities: empty when the
 * migrations and the entities agree. Only the schemas the entities name are compared.
 */
export async function schemaDrift(db: Database): Promise<string[]> {
  const sql = await db.orm.schema.getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: true });
  return sql
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** Errors that mean "Postgres is not reachable right now" rather than "this statement is wrong". */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  return /Connection terminated|connection error|not queryable|Timeout acquiring a connection/i.test(String((err as Error)?.message));
}

/** Translates a lost connection into a TransientError at the boundary; other errors pass unchanged. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isConnectionError(err)) throw new TransientError('the database is unavailable', { cause: err });
    throw err;
  }
}

function wrap(orm: MikroORM, deadlineMs: number | undefined): Database {
  const bounded = <T>(work: () => Promise<T>): Promise<T> =>
    deadlineMs === undefined
      ? translated(work)
      : withinDeadline(translated(work), deadlineMs, () => new TransientError(`the database did not answer within ${deadlineMs} ms`));
  return {
    orm,
    em: () => orm.em.fork(),
    withEm: (work) => bounded(() => work(orm.em.fork())),
    query(sql, params = []) {
      return bounded(async () => (await orm.em.getConnection().execute(sql, [...params], 'all')) as never);
    },
    transaction(fn) {
      return bounded(() =>
        orm.em.fork().transactional(async (em) => {
          const ctx = em.getTransactionContext();
          const q = async (sql: string, params: readonly unknown[] = []) =>
            (await em.getConnection().execute(sql, [...params], 'all', ctx)) as never;
          return fn(q, em);
        }),
      );
    },
    async ping() {
      try {
        await bounded(() => orm.em.getConnection().execute('select 1', [], 'all'));
        return true;
      } catch {
        return false;
      }
    },
    close: () => orm.close(true),
  };
}
