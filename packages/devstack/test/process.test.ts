import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { spawnService, waitFor } from '../src/index.js';
import { makeTempDir } from './temp-dir.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir('process');
});
afterEach(async () => {
  await tmp.cleanup();
});

const node = process.execPath;

describe('spawnService', () => {
  test('passes env, sends output lines to the log file and the callback, and reports the exit', async () => {
    const lines: string[] = [];
    const logFile = path.join(tmp.dir, 'logs', 'echo.log');
    const proc = await spawnService({
      name: 'echo',
      command: node,
      args: ['-e', 'console.log("hello " + process.env.WHO); console.error("oops"); process.exit(3)'],
      env: { WHO: 'jangar' },
      logFile,
      onLine: (line, stream) => lines.push(`${stream}: ${line}`),
    });
    expect(proc.pid).toBeGreaterThan(0);
    expect(await proc.exited).toEqual({ code: 3, signal: null });
    expect(proc.exitInfo).toEqual({ code: 3, signal: null });
    expect(lines.sort()).toEqual(['stderr: oops', 'stdout: hello jangar']);
    expect((await fs.readFile(logFile, 'utf8')).split('\n').sort()).toEqual(['', 'hello jangar', 'oops']);
    expect(proc.recentOutput()).toContain('hello jangar');
  });

  test('exitWithParent gives the child a stdin pipe and JANGAR_EXIT_WITH_PARENT=1; without it the variable is not inherited', async () => {
    const probe = `console.log(process.env.JANGAR_EXIT_WITH_PARENT ?? 'unset', (s => s.isFIFO() || s.isSocket())(require('node:fs').fstatSync(0)) ? 'pipe' : 'no pipe')`;
    const run = async (exitWithParent: boolean) => {
      const lines: string[] = [];
      const proc = await spawnService({
        name: 'probe',
        command: node,
        args: ['-e', probe],
        env: { JANGAR_EXIT_WITH_PARENT: '1' },
        exitWithParent,
        onLine: (line) => lines.push(line),
      });
      await proc.exited;
      return lines;
    };
    expect(await run(true)).toEqual(['1 pipe']);
    expect(await run(false)).toEqual(['unset no pipe']);
  });

  test('stop() sends SIGTERM and waits for the exit', async () => {
    let ready = false;
    const proc = await spawnService({
      name: 'sleeper',
      command: node,
      args: ['-e', 'console.log("up"); setInterval(() => {}, 1000)'],
      onLine: (line) => (ready ||= line === 'up'),
    });
    await waitFor('the sleeper to print "up"', async () => ready);
    expect(await proc.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await proc.stop()).toEqual({ code: null, signal: 'SIGTERM' }); // idempotent
  });

  test('stop() escalates to SIGKILL when the child ignores SIGTERM', async () => {
    let ready = false;
    const proc = await spawnService({
      name: 'stubborn',
      command: node,
      args: ['-e', 'process.on("SIGTERM", () => console.log("ignored")); console.log("up"); setInterval(() => {}, 1000)'],
      onLine: (line) => (ready ||= line === 'up'),
      stopTimeoutMs: 200,
    });
    await waitFor('the stubborn child to print "up"', async () => ready);
    expect(await proc.stop()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(proc.recentOutput()).toContain('ignored');
  });

  test('rejects with a clear error when the command does not exist', async () => {
    await expect(spawnService({ name: 'ghost', command: path.join(tmp.dir, 'no-such-binary') })).rejects.toThrow(
      /could not start ghost .*ENOENT/,
    );
  });

  test('leaves no process listeners behind once its children have exited', async () => {
    const before = process.listenerCount('exit');
    const proc = await spawnService({ name: 'quick', command: node, args: ['-e', 'setTimeout(() => {}, 50)'] });
    expect(process.listenerCount('exit')).toBe(before + 1);
    await proc.exited;
    expect(process.listenerCount('exit')).toBe(before);
  });
});
