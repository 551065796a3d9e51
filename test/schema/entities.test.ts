import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchPostgres, type PostgresHandle } from '@jangar/devstack';
import { createLogger } from '@jangar/service-kit';
import { openDatabase, schemaDrift, type DatabaseOptions } from '@jangar/service-kit/db';
import { GATEWAY_DATABASE } from '../../services/api-gateway/src/database.js';
import { AUDIT_DATABASE } from '../../services/audit/src/database.js';
import { POLICY_DATABASE } from '../../services/policy/src/database.js';
import { STATUS_DATABASE } from '../../services/status-aggregator/src/database.js';

// Every service's entities against the schema its own migrations build, on one real Postgres:
// a column, type, nullability, default, check, unique constraint or index that differs fails.
const SCHEMAS: Array<[string, Pick<DatabaseOptions, 'schema' | 'migrations' | 'entities'>]> = [
  ['api-gateway', GATEWAY_DATABASE],
  ['policy', POLICY_DATABASE],
  ['status-aggregator', STATUS_DATABASE],
  ['audit', AUDIT_DATABASE],
];

let server: PostgresHandle;

beforeAll(async () => {
  server = await scratchPostgres('entities');
});

afterAll(async () => {
  await server?.stop();
});

/** A database of its own: the drift check compares whole databases, and each service owns its schema alone. */
async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

describe.each(SCHEMAS)('the %s entities', (_service, database) => {
  it('describe exactly the schema the migrations build', async () => {
    const url = await freshDatabase(`drift_${database.schema}`);
    const db = await openDatabase({ url, ...database, logger: createLogger('test', 'silent') });
    try {
      expect(await schemaDrift(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
