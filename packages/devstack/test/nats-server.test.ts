import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { findOrInstallNatsServer, freePort, startNatsServer, waitFor } from '../src/index.js';
import type { NatsServerHandle } from '../src/index.js';
import { procInfo } from '../src/orphans.js';
import { makeTempDir } from './temp-dir.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
const servers: NatsServerHandle[] = [];
const connections: NatsConnection[] = [];

beforeEach(async () => {
  tmp = await makeTempDir('nats');
});
afterEach(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await tmp.cleanup();
});

async function start(storeDir = path.join(tmp.dir, 'store')): Promise<NatsServerHandle> {
  const server = await startNatsServer({ storeDir, logFile: path.join(tmp.dir, 'nats.log') });
  servers.push(server);
  return server;
}

async function client(server: NatsServerHandle): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url, reconnect: false });
  connections.push(nc);
  return nc;
}

const isGone = async (pid: number) => {
  const info = await procInfo(pid);
  return !info || info.zombie;
};

describe('findOrInstallNatsServer', () => {
  test('finds the installed binary by absolute path', async () => {
    const bin = await findOrInstallNatsServer({ allowInstall: false });
    expect(path.isAbsolute(bin)).toBe(true);
    expect(path.basename(bin)).toBe('nats-server');
  });

  test('explains what to do when nats-server is missing and installing is not allowed', async () => {
    await expect(findOrInstallNatsServer({ allowInstall: false, searchDirs: [tmp.dir] })).rejects.toThrow(
      /nats-server not found .*apt-get install nats-server.*NATS_URL/s,
    );
  });
});

describe('startNatsServer', () => {
  test('starts with JetStream: a client connects and duplicate msgIDs are detected', async () => {
    const server = await start();
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    const nc = await client(server);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] });
    const js = jetstream(nc);
    const first = await js.publish('events.a', 'one', { msgID: 'm-1' });
    const second = await js.publish('events.a', 'one', { msgID: 'm-1' });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    expect((await jsm.streams.info('EVENTS')).state.messages).toBe(1);
    const log = await fs.readFile(path.join(tmp.dir, 'nats.log'), 'utf8');
    expect(log).toContain('Server is ready');
  });

  test('stop() ends the process and keeps nothing listening', async () => {
    const server = await start();
    await server.stop();
    await server.stop(); // idempotent
    expect(await isGone(server.pid)).toBe(true);
    await expect(connect({ servers: server.url, reconnect: false, timeout: 500 })).rejects.toThrow();
  });

  test('a restart on the same storeDir keeps the stream and its messages, also after SIGKILL', async () => {
    const storeDir = path.join(tmp.dir, 'store');
    const first = await start(storeDir);
    {
      const nc = await client(first);
      await (await jetstreamManager(nc)).streams.add({ name: 'KEEP', subjects: ['keep.>'] });
      await jetstream(nc).publish('keep.x', 'persisted', { msgID: 'k-1' });
      await nc.close();
    }
    await first.stop();

    const second = await start(storeDir);
    {
      const nc = await client(second);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('KEEP')).state.messages).toBe(1);
      expect((await jsm.streams.getMessage('KEEP', { seq: 1 }))?.string()).toBe('persisted');
      await jetstream(nc).publish('keep.x', 'second', { msgID: 'k-2' });
      await nc.close();
    }
    second.kill('SIGKILL');
    expect(await second.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const third = await start(storeDir);
    const nc = await client(third);
    expect((await (await jetstreamManager(nc)).streams.info('KEEP')).state.messages).toBe(2);
  });

  test('stops a nats-server left running on the same storeDir by a dead parent', async () => {
    const storeDir = path.join(tmp.dir, 'store');
    await fs.mkdir(storeDir, { recursive: true });
    const bin = await findOrInstallNatsServer({ allowInstall: false });
    const port = await freePort();
    const pidFile = path.join(storeDir, 'nats-server.pid');
    // Started through a shell that exits at once, so the server is reparented like one whose parent was SIGKILLed.
    const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, '-P', pidFile];
    const shell = spawn('sh', ['-c', '"$0" "$@" >/dev/null 2>&1 &', bin, ...args], { stdio: 'ignore' });
    await new Promise((resolve) => shell.once('exit', resolve));
    await waitFor('the orphan to write its pid file', async () => (await fs.readFile(pidFile, 'utf8').catch(() => '')) !== '');
    const orphanPid = Number.parseInt(await fs.readFile(pidFile, 'utf8'), 10);
    try {
      expect((await procInfo(orphanPid))?.ppid).not.toBe(process.pid);
      const lines: string[] = [];
      const server = await startNatsServer({ storeDir, log: (l) => lines.push(l) });
      servers.push(server);
      expect(lines.some((l) => l.includes(`left over from an earlier run (pid ${orphanPid})`))).toBe(true);
      await waitFor('the orphan to be gone', () => isGone(orphanPid), { timeoutMs: 5_000 });
    } finally {
      // Only if the test failed before the orphan was stopped (and its pid was not reused since).
      if ((await procInfo(orphanPid))?.cmdline.includes(storeDir)) process.kill(orphanPid, 'SIGKILL');
    }
  });

  test('fails with the server output when the requested port is taken', async () => {
    const server = await start();
    await expect(
      startNatsServer({ storeDir: path.join(tmp.dir, 'other'), port: server.port, startTimeoutMs: 5_000 }),
    ).rejects.toThrow(/address already in use/);
  });
});
