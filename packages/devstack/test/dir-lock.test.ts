import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { lockFile, LockHeldError } from '../src/index.js';
import { formatOwner } from '../src/owner.js';
import { procInfo } from '../src/proc.js';
import { makeTempDir } from './temp-dir.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let file: string;
beforeEach(async () => {
  tmp = await makeTempDir('lock');
  file = path.join(tmp.dir, 'stack.lock');
});
afterEach(() => tmp.cleanup());

/** A process that ran and exited: its pid names no one now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('lockFile', () => {
  test('holds the pid of the process that took it, and is gone once released', async () => {
    const lock = await lockFile(file);
    expect((await fs.readFile(file, 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
    await expect(fs.access(file)).rejects.toThrow();
  });

  test('is refused while the process holding it runs, naming that process, and stays its', async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const held = formatOwner({ pid: holder.pid!, startTime: (await procInfo(holder.pid!))?.startTime });
      await fs.writeFile(file, held);
      const err = await lockFile(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockHeldError);
      expect((err as LockHeldError).holder.pid).toBe(holder.pid);
      expect(await fs.readFile(file, 'utf8')).toBe(held);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('is taken over from a holder that died without releasing it', async () => {
    await fs.writeFile(file, formatOwner({ pid: await deadPid() }));
    const lock = await lockFile(file);
    expect((await fs.readFile(file, 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });

  test('is taken over when its pid now names a different process than the one that took it', async () => {
    // Our own pid, but a start time that is not ours: the holder died and the pid was reused.
    await fs.writeFile(file, formatOwner({ pid: process.pid, startTime: '1' }));
    const lock = await lockFile(file);
    expect(await fs.readFile(file, 'utf8')).not.toContain('\n1\n');
    await lock.release();
  });

  test('is left alone by a release once another process has taken it over', async () => {
    const lock = await lockFile(file);
    const other = formatOwner({ pid: await deadPid() });
    await fs.writeFile(file, other);
    await lock.release();
    expect(await fs.readFile(file, 'utf8')).toBe(other);
  });
});
