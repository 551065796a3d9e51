import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, scratchNats, waitFor, type NatsServerHandle } from '@jangar/devstack';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isGone, orphanChild } from '../../../test/support/launcher-death.js';

const tsx = createRequire(import.meta.url).resolve('tsx');
const SERVICE = fileURLToPath(new URL('./fixtures/idle-service.ts', import.meta.url));
let nats: NatsServerHandle;
let dir: string;
const orphans: number[] = [];

beforeAll(async () => {
  nats = await scratchNats('exit-with-parent');
  dir = await mkdtemp(path.join(os.tmpdir(), 'jangar-exit-with-parent-'));
});
afterAll(async () => {
  // Only if a test failed: an orphan must not outlive the run.
  for (const pid of orphans) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
  await nats?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a service started by the stack (JANGAR_EXIT_WITH_PARENT=1)', () => {
  test('drains and exits when its launcher is SIGKILLed', async () => {
    const stoppedFile = path.join(dir, 'stopped');
    const pid = await orphanChild({
      command: process.execPath,
      args: ['--import', tsx, SERVICE],
      logFile: path.join(dir, 'ready.log'),
      env: { NATS_URL: nats.url, IDLE_STOPPED_FILE: stoppedFile },
      ready: (log) => log.includes('"msg":"ready"'),
    });
    orphans.push(pid);
    await waitFor('the orphaned service to exit', async () => isGone(pid), { timeoutMs: 20_000 });
    // Its own stop ran: it drained rather than died.
    expect(await readFile(stoppedFile, 'utf8')).toBe('stopped\n');
  });

  test('exits when its launcher dies while it still waits for NATS', async () => {
    const nobody = await freePort();
    const pid = await orphanChild({
      command: process.execPath,
      args: ['--import', tsx, SERVICE],
      logFile: path.join(dir, 'connecting.log'),
      env: { NATS_URL: `nats://127.0.0.1:${nobody}` },
    });
    orphans.push(pid);
    await waitFor('the orphaned service to exit', async () => isGone(pid), { timeoutMs: 20_000 });
  });
});
