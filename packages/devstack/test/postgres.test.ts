import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startPostgres, waitFor } from '../src/index.js';
import type { PostgresHandle } from '../src/index.js';
import { WATCHED_EVENTS } from '../src/embedded-postgres-loader.js';
import { isExitGuardListener } from '../src/exit-guard.js';
import { procInfo } from '../src/orphans.js';
import { queryOnce } from '../src/pg-client.js';
import { makeTempDir } from './temp-dir.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
const running: PostgresHandle[] = [];

beforeEach(async () => {
  tmp = await makeTempDir('pg');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((pg) => pg.stop()));
  await tmp.cleanup();
});

// The first test runs with the durable defaults; the rest use ephemeral clusters, which initialise faster.
async function start(dataDir = path.join(tmp.dir, 'pg'), database?: string, ephemeral = true): Promise<PostgresHandle> {
  const pg = await startPostgres({ dataDir, database, ephemeral, logFile: path.join(tmp.dir, 'pg.log') });
  running.push(pg);
  return pg;
}

const isGone = async (pid: number) => {
  const info = await procInfo(pid);
  return !info || info.zombie;
};

function listenerSnapshot(): Record<string, number> {
  return Object.fromEntries(WATCHED_EVENTS.map((e) => [e, process.rawListeners(e).filter((l) => !isExitGuardListener(l)).length]));
}

describe('startPostgres', () => {
  test('starts a durable cluster, creates the database, leaves no exit/signal hooks and guards its dataDir', async () => {
    const before = listenerSnapshot();
    const pg = await start(undefined, 'app_db', false);
    expect(listenerSnapshot()).toEqual(before);
    expect(pg.url).toBe(`postgres://postgres:postgres@127.0.0.1:${pg.port}/app_db`);
    expect(await queryOnce(pg.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    expect(await queryOnce(pg.url, 'select current_database() as db')).toEqual([{ db: 'app_db' }]);
    await fs.access(path.join(pg.dataDir, 'PG_VERSION'));
    expect(await fs.readFile(path.join(tmp.dir, 'pg.log'), 'utf8')).toContain('ready to accept connections');
    await expect(startPostgres({ dataDir: pg.dataDir })).rejects.toThrow(/already running from this process/);
    await pg.stop();
    await pg.stop(); // idempotent
    expect(await isGone(pg.pid)).toBe(true);
    expect(listenerSnapshot()).toEqual(before);
    expect(process.rawListeners('exit').some(isExitGuardListener)).toBe(false);
  });

  // One cluster for both restarts: initdb dominates the cost of these tests.
  test('keeps data across stop+start and across a SIGKILL of the postmaster (stale postmaster.pid)', async () => {
    const dataDir = path.join(tmp.dir, 'pg');
    const first = await start(dataDir);
    await queryOnce(first.url, 'CREATE TABLE notes (body text)');
    await queryOnce(first.url, "INSERT INTO notes VALUES ('kept')");
    await first.stop();

    const lines: string[] = [];
    const second = await startPostgres({ dataDir, ephemeral: true, log: (l) => lines.push(l) });
    running.push(second);
    expect(lines.some((l) => l.includes('initialising'))).toBe(false);
    expect(await queryOnce(second.url, 'SELECT body FROM notes')).toEqual([{ body: 'kept' }]);
    await queryOnce(second.url, "INSERT INTO notes VALUES ('committed before the crash')");
    await second.kill();
    expect(await isGone(second.pid)).toBe(true);
    await fs.access(path.join(dataDir, 'postmaster.pid')); // left behind, as after a real crash
    await second.stop(); // no-op after kill

    const third = await start(dataDir);
    expect(await queryOnce(third.url, 'SELECT body FROM notes ORDER BY body')).toEqual([
      { body: 'committed before the crash' },
      { body: 'kept' },
    ]);
  });

  test('leaves a postmaster alone while the process that started it still runs', async () => {
    const dataDir = path.join(tmp.dir, 'pg');
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const script = fileURLToPath(new URL('./fixtures/orphan-postgres.ts', import.meta.url));
    const owner = spawn(process.execPath, ['--import', tsx, script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    owner.stdout.on('data', (c: Buffer) => (out += c.toString()));
    owner.stderr.on('data', (c: Buffer) => (out += c.toString()));
    let postmaster = 0;
    try {
      postmaster = await waitFor(
        'the helper process to start Postgres',
        async () => {
          if (owner.exitCode !== null) throw new Error(`helper exited early:\n${out}`);
          const match = /READY (\d+)/.exec(out);
          return match ? Number(match[1]) : undefined;
        },
        { timeoutMs: 20_000 },
      );
      await expect(startPostgres({ dataDir, ephemeral: true })).rejects.toThrow(
        `postgres (pid ${postmaster}) is still in use by process ${owner.pid}, which started it and still runs`,
      );
      expect(await isGone(postmaster)).toBe(false);
    } finally {
      owner.kill('SIGKILL');
      if (postmaster && (await procInfo(postmaster))?.cmdline.includes(dataDir)) process.kill(postmaster, 'SIGKILL');
    }
  });

  test('stops a postmaster orphaned by a SIGKILLed parent and takes over its data', async () => {
    const dataDir = path.join(tmp.dir, 'pg');
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const script = fileURLToPath(new URL('./fixtures/orphan-postgres.ts', import.meta.url));
    const parent = spawn(process.execPath, ['--import', tsx, script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    parent.stdout.on('data', (c: Buffer) => (out += c.toString()));
    parent.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    let orphanPid = 0;
    try {
      orphanPid = await waitFor(
        'the helper process to start Postgres',
        async () => {
          if (parent.exitCode !== null) throw new Error(`helper exited early:\n${out}`);
          const match = /READY (\d+)/.exec(out);
          return match ? Number(match[1]) : undefined;
        },
        { timeoutMs: 20_000 },
      );
      parent.kill('SIGKILL');
      await exited;
      expect(await isGone(orphanPid)).toBe(false);

      const lines: string[] = [];
      const pg = await startPostgres({ dataDir, ephemeral: true, log: (l) => lines.push(l) });
      running.push(pg);
      expect(lines.some((l) => l.includes(`left over from an earlier run (pid ${orphanPid})`))).toBe(true);
      expect(await isGone(orphanPid)).toBe(true);
      expect(await queryOnce(pg.url, 'SELECT note FROM orphaned')).toEqual([{ note: 'written by the dead parent' }]);
    } finally {
      parent.kill('SIGKILL');
      if (orphanPid && (await procInfo(orphanPid))?.cmdline.includes(dataDir)) process.kill(orphanPid, 'SIGKILL');
    }
  });
});
