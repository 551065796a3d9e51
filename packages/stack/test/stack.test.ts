import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@jangar/devstack';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lockStackDir, startStack, stackLockFile, type Stack } from '../src/index.js';

let dataDir: string;
let stack: Stack;
let deadLauncher: number;
const lines: string[] = [];

/** A process that ran and exited, standing in for a launcher that was SIGKILLed. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'jangar-stack-'));
  deadLauncher = await deadPid();
  await writeFile(stackLockFile(dataDir), `${deadLauncher}\n`);
  try {
    stack = await startStack({ dataDir, httpPort: 0, simStepMs: 50, log: (l) => lines.push(l) });
  } catch (err) {
    throw new Error(`the stack did not start:\n${lines.join('\n')}\n${(err as Error).message}`, { cause: err });
  }
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const gatewayReady = async () => (await fetch(`${stack.gatewayUrl}/readyz`).catch(() => undefined))?.status === 200;

describe('a stack on a data directory', () => {
  test('takes over the lock of a launcher that died, and holds it with its own pid', async () => {
    expect((await readFile(stackLockFile(dataDir), 'utf8')).split('\n')[0]).toBe(String(process.pid));
  });

  test('keeps a second launcher off the directory: it fails fast, naming the pid, the directory and JANGAR_DATA_DIR, and the first stack keeps serving', async () => {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const script = fileURLToPath(new URL('./fixtures/start-stack.ts', import.meta.url));
    const second = spawn(process.execPath, ['--import', tsx, script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    second.stdout.on('data', (c: Buffer) => (out += c.toString()));
    second.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor('the second launcher to start or fail', async () => /^(READY|FAILED)/m.test(out) || second.exitCode !== null, {
        timeoutMs: 60_000,
      });
      await waitFor('the second launcher to exit', async () => second.exitCode !== null, { timeoutMs: 10_000 });
      expect(second.exitCode).toBe(1);
      expect(out).toContain(`FAILED another Jangar stack (pid ${process.pid}) is running on the data directory ${dataDir}`);
      expect(out).toContain('JANGAR_DATA_DIR');
      expect(await gatewayReady()).toBe(true);
      expect((await readFile(stackLockFile(dataDir), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    } finally {
      // Only if it started after all (the defect): its stack must not outlive the test.
      if (second.exitCode === null) {
        second.kill('SIGTERM');
        await waitFor('the second launcher to stop', async () => second.exitCode !== null || second.signalCode !== null, {
          timeoutMs: 30_000,
        });
      }
    }
  });

  test('given a lock on another data directory, refuses to start and leaves that lock taken', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'jangar-stack-other-'));
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'jangar-stack-elsewhere-'));
    try {
      const lock = await lockStackDir(elsewhere);
      await expect(startStack({ dataDir: other, lock })).rejects.toThrow(`is not ${stackLockFile(other)}`);
      expect((await readFile(stackLockFile(elsewhere), 'utf8')).split('\n')[0]).toBe(String(process.pid));
      await lock.release();
    } finally {
      await rm(other, { recursive: true, force: true });
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  test('abandoned before it starts anything, rejects and leaves its data directory unlocked', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'jangar-stack-abandoned-'));
    try {
      const signal = AbortSignal.abort(new Error('not wanted any more'));
      await expect(startStack({ dataDir: other, signal })).rejects.toThrow('not wanted any more');
      await expect(readFile(stackLockFile(other))).rejects.toThrow();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  // Last: the stack is not whole afterwards.
  test('reports a service that dies after it was ready, with its name, how it ended and its log file', async () => {
    const audit = stack.processes('audit')[0]!;
    process.kill(audit.pid, 'SIGKILL');
    const failure = await stack.failed;
    expect(failure).toEqual({ name: 'audit', code: null, signal: 'SIGKILL', logFile: path.join(dataDir, 'logs', 'audit.log') });
    expect(lines).toContain(`audit exited unexpectedly (signal SIGKILL); its log is ${path.join(dataDir, 'logs', 'audit.log')}`);
  });
});
