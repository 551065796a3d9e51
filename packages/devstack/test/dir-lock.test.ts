import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { lockFile, LockHeldError } from '../src/index.js';
import { formatOwner } from '../src/owner.js';
import { procInfo } from '../src/proc.js';
import { waitFor } from '../src/wait.js';
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

/** A process running fixtures/lock-racer.ts: send it a command, get its answer. */
interface Racer {
  send(command: string): void;
  answer(): Promise<string>;
  child: ChildProcessWithoutNullStreams;
}

function startRacer(): Racer {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const script = fileURLToPath(new URL('./fixtures/lock-racer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', tsx, script]);
  const answers: string[] = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => answers.push(line));
  return {
    child,
    send: (command) => child.stdin.write(`${command}\n`),
    answer: () =>
      waitFor(
        'a lock racer to answer',
        async () => {
          if (answers.length > 0) return answers.shift();
          if (child.exitCode !== null) throw new Error(`the racer exited (code ${child.exitCode}):\n${stderr}`);
          return undefined;
        },
        { timeoutMs: 30_000, intervalMs: 5 },
      ),
  };
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

  test('taken over from a dead holder by several processes at the same instant, is held by exactly one', async () => {
    const racers = Array.from({ length: 4 }, startRacer);
    try {
      for (const racer of racers) racer.send('ready?');
      for (const racer of racers) expect(await racer.answer()).toBe('READY');
      for (let round = 1; round <= 20; round += 1) {
        await fs.writeFile(file, formatOwner({ pid: await deadPid() }));
        // Every racer is loaded and waiting on its stdin, so they all start taking the lock together.
        for (const racer of racers) racer.send(`take ${file}`);
        const answers = await Promise.all(racers.map((racer) => racer.answer()));
        expect({ round, holders: answers.filter((a) => a === 'GOT').length }).toEqual({ round, holders: 1 });
        expect(answers.filter((a) => a !== 'GOT').every((a) => a === 'HELD')).toBe(true);
        for (const racer of racers) racer.send('release');
        for (const racer of racers) expect(await racer.answer()).toBe('RELEASED');
        await expect(fs.access(file)).rejects.toThrow();
      }
      // No takeover marker or draft is left beside the lock.
      expect(await fs.readdir(tmp.dir)).toEqual([]);
    } finally {
      for (const racer of racers) racer.child.kill('SIGKILL');
    }
  });

  test('is taken over when a process died while taking it over, leaving its takeover marker', async () => {
    const stale = { pid: await deadPid() };
    await fs.writeFile(file, formatOwner(stale));
    await fs.writeFile(`${file}.takeover.${stale.pid}.`, formatOwner({ pid: await deadPid() }));
    const lock = await lockFile(file);
    expect((await fs.readFile(file, 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });
});
