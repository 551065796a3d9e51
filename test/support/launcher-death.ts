import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@jangar/devstack';

const tsx = createRequire(import.meta.url).resolve('tsx');
const LAUNCHER = fileURLToPath(new URL('./launcher.ts', import.meta.url));

/** Whether `pid` no longer exists (an orphan is reaped by init once it exits). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Starts `command` through a launcher process the way the stack starts its children, waits until
 * `ready(log)` holds for the child's log, SIGKILLs the launcher and returns the child's pid.
 */
export async function orphanChild(opts: {
  command: string;
  args: string[];
  logFile: string;
  env?: Record<string, string>;
  ready?: (log: string) => boolean;
}): Promise<number> {
  const launcher = spawn(process.execPath, ['--import', tsx, LAUNCHER, opts.logFile, opts.command, ...opts.args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  launcher.stdout.on('data', (c: Buffer) => (out += c.toString()));
  launcher.stderr.on('data', (c: Buffer) => (out += c.toString()));
  try {
    const pid = await waitFor(
      'the launcher to start its child',
      async () => {
        if (launcher.exitCode !== null) throw new Error(`the launcher exited:\n${out}`);
        const match = /CHILD (\d+)/.exec(out);
        return match ? Number(match[1]) : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const ready = opts.ready;
    if (ready) {
      await waitFor('the child to be ready', async () => ready(await readFile(opts.logFile, 'utf8').catch(() => '')), {
        timeoutMs: 60_000,
      });
    }
    return pid;
  } finally {
    launcher.kill('SIGKILL');
  }
}
