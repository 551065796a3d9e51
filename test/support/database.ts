/**
 * A scratch Postgres with one service's schema migrated, for the tests of that service's stores:
 * real Postgres, in a temp dir of its own, gone after the file's last test.
 */
import { scratchPostgres } from '@jangar/devstack';
import { createLogger } from '@jangar/service-kit';
import { openDatabase, type Database, type DatabaseOptions } from '@jangar/service-kit/db';

export interface ScratchDatabase {
  readonly db: Database;
  /** The server's URL, for a second pool or a raw connection of a test's own. */
  readonly url: string;
  /** Closes the pool, then stops the server and removes its data. */
  stop(): Promise<void>;
}

/** Starts a scratch Postgres named after `name` and migrates `schema` (a service's `*_DATABASE`) into it. */
export async function scratchDatabase(
  name: string,
  schema: Pick<DatabaseOptions, 'schema' | 'migrations' | 'entities'>,
): Promise<ScratchDatabase> {
  const pg = await scratchPostgres(name);
  try {
    const db = await openDatabase({ url: pg.url, ...schema, logger: createLogger('test', 'silent') });
    return {
      db,
      url: pg.url,
      async stop() {
        await db.close();
        await pg.stop();
      },
    };
  } catch (err) {
    await pg.stop();
    throw err;
  }
}
