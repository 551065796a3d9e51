import fs from 'node:fs/promises';
import path from 'node:path';
import { findOrInstallNatsServer } from './nats-binary.js';
import { stopOrphan } from './orphans.js';
import { thisProcess, writeOwner } from './owner.js';
import { freePort } from './ports.js';
import { httpStatus, natsGreets } from './probes.js';
import { spawnService } from './process.js';
import type { ExitInfo, ServiceProcess } from './process.js';
import { waitFor } from './wait.js';

/** Options for {@link startNatsServer}. */
export interface StartNatsOptions {
  /** JetStream store directory; reuse it to keep streams across restarts. */
  storeDir: string;
  /** Client port; a free one is picked when omitted. */
  port?: number;
  /** Progress lines for a person (the server's own output goes to `logFile`). */
  log?: (line: string) => void;
  /** Appends the server's output here. */
  logFile?: string;
  /** nats-server binary; found (or installed) with {@link findOrInstallNatsServer} when omitted. */
  binary?: string;
  /** Passed to {@link findOrInstallNatsServer} (default true). */
  allowInstall?: boolean;
  /** Readiness deadline (default 20 s). */
  startTimeoutMs?: number;
}

/** A running nats-server started by {@link startNatsServer}. */
export interface NatsServerHandle {
  /** nats://127.0.0.1:<port> */
  url: string;
  port: number;
  /** HTTP monitoring port (/healthz, /jsz, /varz). */
  monitorPort: number;
  pid: number;
  storeDir: string;
  /** Settles when the server process has exited. */
  exited: Promise<ExitInfo>;
  /** SIGTERM, wait for exit, SIGKILL after a deadline; safe to call repeatedly. */
  stop(): Promise<void>;
  /** Sends a signal without waiting (default SIGKILL), for crash tests. */
  kill(signal?: NodeJS.Signals): void;
}

const HOST = '127.0.0.1';
// Ports picked by freePort() can be taken by someone else before nats-server binds them; retry with new ones.
const PORT_ATTEMPTS = 3;

/** Starts nats-server with JetStream on 127.0.0.1 and resolves once it accepts clients and JetStream is enabled. */
export async function startNatsServer(opts: StartNatsOptions): Promise<NatsServerHandle> {
  const log = opts.log ?? (() => undefined);
  const storeDir = path.resolve(opts.storeDir);
  await fs.mkdir(storeDir, { recursive: true });
  const binary = opts.binary ?? (await findOrInstallNatsServer({ log, allowInstall: opts.allowInstall }));
  const pidFile = path.join(storeDir, 'nats-server.pid');
  const ownerFile = path.join(storeDir, 'nats-server.owner');
  await stopOrphan({ pidFile, ownerFile, cmdlineIncludes: ['nats-server', storeDir], signal: 'SIGTERM', what: 'nats-server', log });
  await writeOwner(ownerFile, await thisProcess());

  for (let attempt = 1; ; attempt += 1) {
    const port = opts.port ?? (await freePort(HOST));
    const monitorPort = await freePort(HOST);
    try {
      return await startOnce({ opts, log, binary, storeDir, pidFile, port, monitorPort });
    } catch (err) {
      const portClash = err instanceof PortInUseError;
      if (!portClash || opts.port !== undefined || attempt >= PORT_ATTEMPTS) throw err;
      log(`nats-server: port ${port} or ${monitorPort} was taken, retrying with new ports`);
    }
  }
}

class PortInUseError extends Error {}

interface StartOnce {
  opts: StartNatsOptions;
  log: (line: string) => void;
  binary: string;
  storeDir: string;
  pidFile: string;
  port: number;
  monitorPort: number;
}

async function startOnce(s: StartOnce): Promise<NatsServerHandle> {
  const started = Date.now();
  const args = ['-js', '-a', HOST, '-p', String(s.port), '-sd', s.storeDir, '-m', String(s.monitorPort), '-P', s.pidFile];
  s.log(`nats-server: starting on ${HOST}:${s.port} (store ${s.storeDir})`);
  const proc = await spawnService({
    name: 'nats-server',
    command: s.binary,
    args,
    logFile: s.opts.logFile,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
  });

  const exitedEarly = new AbortController();
  void proc.exited.then((info) => exitedEarly.abort(new Error(`nats-server exited (${describeExit(info)})`)));
  try {
    await waitFor(
      `nats-server on ${HOST}:${s.port} to accept clients with JetStream enabled`,
      async () => {
        const status = await httpStatus(`http://${HOST}:${s.monitorPort}/healthz?js-enabled-only=true`);
        if (status !== 200) throw new Error(`/healthz answered ${status}`);
        return natsGreets(HOST, s.port);
      },
      { timeoutMs: s.opts.startTimeoutMs ?? 20_000, intervalMs: 25, signal: exitedEarly.signal },
    );
  } catch (err) {
    await proc.stop(2_000);
    const output = proc.recentOutput();
    const message = `${(err as Error).message}\nnats-server ${args.join(' ')} said:\n${output}`;
    if (/address already in use/i.test(output)) throw new PortInUseError(message, { cause: err });
    throw new Error(message, { cause: err });
  }
  s.log(`nats-server: ready at nats://${HOST}:${s.port} in ${Date.now() - started} ms (pid ${proc.pid})`);
  return handleFor(proc, s);
}

function handleFor(proc: ServiceProcess, s: StartOnce): NatsServerHandle {
  return {
    url: `nats://${HOST}:${s.port}`,
    port: s.port,
    monitorPort: s.monitorPort,
    pid: proc.pid,
    storeDir: s.storeDir,
    exited: proc.exited,
    async stop() {
      // nats-server 2.9 shuts JetStream down cleanly on SIGTERM but exits with code 1 by design, so the code is not reported.
      await proc.stop();
      s.log('nats-server: stopped');
    },
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      proc.kill(signal);
    },
  };
}

function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `code ${info.code ?? 'unknown'}`;
}
