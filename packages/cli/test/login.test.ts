import { access } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { runCli, testServer, until } from './harness.js';

describe('jangar login', () => {
  const servers: Array<{ close: () => Promise<void> }> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  /** A server that takes every request and never answers it. */
  const silentServer = async () => {
    const server = await testServer(() => undefined);
    servers.push(server);
    return server;
  };

  it('gives up on a server that never answers after --request-timeout, with exit 3, storing nothing', { timeout: 20_000 }, async () => {
    const server = await silentServer();
    const result = await runCli(['login', '--server', server.url, '--token', 't', '--request-timeout', '1']);
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.err).toEqual([`error: no answer from ${server.url} within 1s`]);
    await expect(access(result.configFile)).rejects.toThrow('ENOENT');
  });

  it('stops checking the token at the first Ctrl-C, with exit 130', { timeout: 20_000 }, async () => {
    const server = await silentServer();
    const done = runCli(['login', '--server', server.url, '--token', 't']);
    await until(() => server.received.length === 1, 10_000, 'the token check to reach the server');
    process.emit('SIGINT');
    const result = await done;
    expect(result.code).toBe(EXIT.interrupted);
  });
});
