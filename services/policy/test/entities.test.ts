import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresHandle } from '@jangar/devstack';
import { createLogger } from '@jangar/service-kit';
import { openDatabase, schemaDrift, type Database } from '@jangar/service-kit/db';
import { POLICY_DATABASE } from '../src/database.js';

let dir: string;
let pg: PostgresHandle;
let db: Database;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'jangar-policy-entities-'));
  pg = await startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  db = await openDatabase({
    url: pg.url,
    ...POLICY_DATABASE,
    logger: createLogger('test', 'silent'),
  });
});

afterAll(async () => {
  await db?.close();
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the policy entities', () => {
  it('describe exactly the schema the migrations build', async () => {
    expect(await schemaDrift(db)).toEqual([]);
  });
});
