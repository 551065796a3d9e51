import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { freePort, waitFor } from '@jangar/devstack';
import { lockStackDir, REPO_ROOT, stackLockFile } from '@jangar/stack';

// The launcher of `npm start` (scripts/launch.ts), run as scripts/start.ts runs it, on a scratch data dir.

const tsx = createRequire(import.meta.url).resolve('tsx');
const LAUNCH = path.join(REPO_ROOT, 'scripts', 'launch.ts');

interface Launcher {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function launch(dataDir: string, env: Record<string, string>): Launcher {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('VITEST') && !['NATS_URL', 'DATABASE_URL', 'KUBECONFIG', 'JANGAR_EXIT_WITH_PARENT'].includes(key),
    ),
  );
  const child = spawn(process.execPath, ['--import', tsx, LAUNCH], {
    cwd: REPO_ROOT,
    env: { ...inherited, JANGAR_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function exitOf(launcher: Launcher, timeoutMs: number): Promise<number | null> {
  let code: number | null | undefined;
  void launcher.exited.then((c) => (code = c));
  await waitFor('the launcher to exit', async () => code !== undefined, { timeoutMs, intervalMs: 20 });
  return code ?? null;
}

/** Pids of the processes whose command line names every one of `texts`. */
async function processesNaming(...texts: string[]): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (texts.every((text) => cmdline.includes(text))) found.push(Number(entry));
  }
  return found;
}

let dataDir: string;
let launcher: Launcher | undefined;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'jangar-launch-'));
});
afterEach(async () => {
  // Whatever a failing test left running is killed, so the next test and run start clean.
  if (launcher && launcher.child.exitCode === null && launcher.child.signalCode === null) launcher.child.kill('SIGKILL');
  for (const pid of await processesNaming(dataDir)) process.kill(pid, 'SIGKILL');
  // Or a dying initdb could write into the directory as it is removed.
  await waitFor('what the test left running to be gone', async () => (await processesNaming(dataDir)).length === 0, {
    timeoutMs: 10_000,
  });
  await rm(dataDir, { recursive: true, force: true });
  launcher = undefined;
});

describe('the npm start launcher', () => {
  test('stopped while Postgres is still initialising, leaves no process of the stack running and the data directory unlocked', async () => {
    launcher = launch(dataDir, {
      JANGAR_HTTP_PORT: String(await freePort()),
      // Its own UI directory, so the launcher does not build packages/ui.
      JANGAR_UI_DIR: path.join(dataDir, 'ui'),
    });
    const running = launcher;
    await waitFor(
      'the launcher to say Postgres is initialising, and initdb to run',
      async () => {
        if (running.child.exitCode !== null) throw new Error(`the launcher exited:\n${running.output()}`);
        if (!running.output().includes('postgres: initialising a new cluster')) return false;
        return (await processesNaming('initdb', dataDir)).length > 0;
      },
      { timeoutMs: 120_000, intervalMs: 10 },
    );
    running.child.kill('SIGINT');

    expect(await exitOf(running, 60_000)).toBe(0);
    expect(await processesNaming(dataDir)).toEqual([]);
    await expect(stat(stackLockFile(dataDir))).rejects.toThrow();
  });

  test('refuses a data directory in use before it looks at the web UI build', async () => {
    const dist = path.join(REPO_ROOT, 'packages', 'ui', 'dist', 'index.html');
    const distBefore = await stat(dist).then(
      (s) => s.mtimeMs,
      () => 'absent',
    );
    // Held by this process, which runs: a launcher already on the directory.
    const lock = await lockStackDir(dataDir);
    try {
      launcher = launch(dataDir, { JANGAR_HTTP_PORT: String(await freePort()) });
      expect(await exitOf(launcher, 60_000)).toBe(1);
      expect(launcher.output()).toContain(`another Jangar stack (pid ${process.pid}) is running on the data directory`);
      expect(launcher.output()).not.toContain('web UI:');
      expect(
        await stat(dist).then(
          (s) => s.mtimeMs,
          () => 'absent',
        ),
      ).toBe(distBefore);
      // The lock is still the running one's.
      expect((await readFile(stackLockFile(dataDir), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    } finally {
      await lock.release();
    }
  });
});
