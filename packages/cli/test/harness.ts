import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Io } from '../src/io.js';
import { main } from '../src/main.js';
import { colors } from '../src/output/color.js';
import { afterAll } from 'vitest';

const made: string[] = [];
// Registered by the test file that imports this module: its temporary directories go when it ends.
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A new temporary directory named `jangar-<what>-…`, removed once the test file's tests have run. */
export async function tempDir(what: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `jangar-${what}-`));
  made.push(dir);
  return dir;
}

/** What one run of the CLI printed and how it ended. */
export interface CliResult {
  code: number;
  out: string[];
  err: string[];
  /** The config file the run was pointed at (`$JANGAR_CONFIG`), in a fresh temporary directory unless `env` named one. */
  configFile: string;
}

/** Runs `jangar <args>` in this process with a captured terminal and only `env` as its environment (no config file unless it names one). */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const home = await tempDir('cli');
  const io: Io = {
    out: (line) => void out.push(line),
    err: (line) => void err.push(line),
    errRaw: () => undefined,
    color: colors(false),
    errColor: colors(false),
    columns: undefined,
    stderrIsTTY: false,
    env: { JANGAR_CONFIG: path.join(home, 'config.json'), ...env },
  };
  const code = await main(['node', 'jangar', ...args], io);
  return { code, out, err, configFile: io.env.JANGAR_CONFIG! };
}

/** A request the test server received. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/** A local HTTP server that records every request and answers with `handle`; `close` ends it and its open connections. */
export async function testServer(
  handle: (req: IncomingMessage, res: ServerResponse, received: Received[]) => void,
): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handle(req, res, received);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `condition` holds, polling every 10 ms; rejects after `ms`. */
export async function until(condition: () => boolean, ms = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
