/**
 * Servers of a test file's own: each in a fresh temp dir that `stop` removes with the data. Tests
 * run against real servers (no mocks), and every file that needs one starts and ends it the same way.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startNatsServer, type NatsServerHandle } from './nats-server.js';
import { startPostgres, type PostgresHandle } from './postgres.js';

/** Starts a throwaway Postgres (no fsync) in `jangar-<name>-*` under the temp dir; `stop` removes it. */
export async function scratchPostgres(name: string): Promise<PostgresHandle> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `jangar-${name}-`));
  const pg = await startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true }).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return { ...pg, stop: () => removeAfter(pg.stop(), dir) };
}

/** Starts a nats-server with JetStream in `jangar-<name>-*` under the temp dir; `stop` removes it. */
export async function scratchNats(name: string): Promise<NatsServerHandle> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `jangar-${name}-`));
  const nats = await startNatsServer({ storeDir: path.join(dir, 'nats'), logFile: path.join(dir, 'nats.log') }).catch(
    async (err: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw err;
    },
  );
  return { ...nats, stop: () => removeAfter(nats.stop(), dir) };
}

async function removeAfter(stopped: Promise<void>, dir: string): Promise<void> {
  await stopped;
  await rm(dir, { recursive: true, force: true });
}
