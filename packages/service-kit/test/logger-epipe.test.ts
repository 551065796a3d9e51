import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('logging when nobody reads stdout any more', () => {
  // Regression: an asynchronous pino writer retried its flush forever after EPIPE, so a service
  // whose launcher had died ignored SIGTERM and never exited.
  it('still lets the process exit on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'chatty-service.ts')], {
      cwd: path.resolve(here, '../../..'),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.stdout!.destroy(); // the reader goes away, as when the launcher is killed
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Let it hit EPIPE a few times before asking it to stop.
    await new Promise<void>((resolve) => child.stdout!.once('close', () => resolve()));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
