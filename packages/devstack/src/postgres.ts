import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { loadEmbeddedPostgres } from './embedded-postgres-loader.js';
import { guardChild } from './exit-guard.js';
import { LineSplitter, RecentLines } from './lines.js';
import { closeLogFile, openLogFile } from './log-file.js';
import { childPids, procInfo, stopOrphan } from './orphans.js';
import { signalIfAlive } from './proc.js';
import { thisProcess, writeOwner } from './owner.js';
import { connectPg } from './pg-client.js';
import { freePort } from './ports.js';
import type { ExitInfo } from './process.js';
import { waitFor } from './wait.js';

/** Options for {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Cluster directory; initialised on first use, reused (data kept) afterwards. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** Application database, created if missing (default "jangar"). */
  database?: string;
  /** Superuser name, fixed when the cluster is initialised (default "postgres"). */
  user?: string;
  /** Superuser password, fixed when the cluster is initialised (default "postgres"). */
  password?: string;
  /**
   * Throwaway cluster (tests): skip fsync in initdb and in the server. A process crash loses nothing either way;
   * only an OS crash or power loss could corrupt the cluster (default false).
   */
  ephemeral?: boolean;
  /** Extra server settings passed as `-c key=value`, e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string>;
  /** Progress lines for a person (the server's own output goes to `logFile`). */
  log?: (line: string) => void;
  /** Appends initdb and server output here. */
  logFile?: string;
  /** Deadline for the server to accept connections (default 30 s). */
  startTimeoutMs?: number;
  /** Abandons the start once initdb is done (initdb itself runs to its end): rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A running Postgres cluster started by {@link startPostgres}. */
export interface PostgresHandle {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  dataDir: string;
  /** Pid of the postmaster. */
  pid: number;
  /** Settles when the postmaster has exited, however it ended. */
  exited: Promise<ExitInfo>;
  /** Fast shutdown (SIGINT), SIGKILL after a deadline; safe to call repeatedly and after kill(). */
  stop(): Promise<void>;
  /** SIGKILLs the postmaster and waits until it and its backends are gone, to simulate a crash. */
  kill(): Promise<void>;
  /**
   * Stops the postmaster and every backend with SIGSTOP, to simulate a hang: connections stay open
   * and nothing answers. `resume` lets them go on.
   */
  pause(): Promise<void>;
  resume(): void;
}

const HOST = '127.0.0.1';
const PORT_ATTEMPTS = 3;
const STOP_TIMEOUT_MS = 15_000;

/** Starts a Postgres cluster in `dataDir` (running initdb only if it has no PG_VERSION yet) and ensures the application database exists. */
export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresHandle> {
  const log = opts.log ?? (() => undefined);
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? 'jangar';
  const user = opts.user ?? 'postgres';
  const password = opts.password ?? 'postgres';
  const isRoot = process.getuid?.() === 0;

  await fs.mkdir(dataDir, { recursive: true });
  if (isRoot) await ensureReachableByPostgresUser(dataDir, log);
  // Beside postmaster.pid, once the cluster exists (initdb wants an empty directory).
  const ownerFile = path.join(dataDir, 'postmaster.owner');
  await stopOrphan({
    pidFile: path.join(dataDir, 'postmaster.pid'),
    ownerFile,
    cmdlineIncludes: ['postgres', dataDir],
    signal: 'SIGINT',
    what: 'postgres',
    log,
  });

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const output = new Output(opts.logFile === undefined ? undefined : await openLogFile(opts.logFile));
  const make = (port: number) =>
    guardPostmaster(
      new EmbeddedPostgres({
        databaseDir: dataDir,
        port,
        user,
        password,
        authMethod: 'scram-sha-256',
        persistent: true,
        // Postgres refuses to run as root; embedded-postgres then runs it as a (created if needed) "postgres" user.
        createPostgresUser: isRoot,
        initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-instructions', ...(opts.ephemeral ? ['--no-sync'] : [])],
        postgresFlags: [
          '-h',
          HOST,
          // No Unix socket: its default directory may not exist or be writable, and TCP is all we use.
          '-k',
          '',
          ...Object.entries({ ...(opts.ephemeral ? { fsync: 'off' } : {}), ...opts.settings }).flatMap(([key, value]) => [
            '-c',
            `${key}=${value}`,
          ]),
        ],
        onLog: (message: string) => output.write(message),
        onError: (err: unknown) => output.write(`[error] ${err instanceof Error ? err.message : String(err)}\n`),
      }),
    );

  try {
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
      const t0 = Date.now();
      log(`postgres: initialising a new cluster in ${dataDir}`);
      try {
        await make(0).initialise();
      } catch (err) {
        throw new Error(`initdb failed in ${dataDir}: ${(err as Error).message}\n${output.recent}`, { cause: err });
      }
      log(`postgres: initialised in ${Date.now() - t0} ms`);
    }
    opts.signal?.throwIfAborted();

    await writeOwner(ownerFile, await thisProcess());
    for (let attempt = 1; ; attempt += 1) {
      const port = opts.port ?? (await freePort(HOST));
      const t0 = Date.now();
      const instance = make(port);
      try {
        const postmaster = await startInstance(instance, opts.startTimeoutMs ?? 30_000, output);
        log(`postgres: ready on ${HOST}:${port} in ${Date.now() - t0} ms (pid ${postmaster.pid ?? '?'})`);
        const handle = makeHandle({ instance, postmaster, port, database, user, password, dataDir, output, log });
        try {
          await ensureDatabase(pgUrl(user, password, port, 'postgres'), database, log);
        } catch (err) {
          await handle.stop();
          throw err;
        }
        return handle;
      } catch (err) {
        const portClash = output.recent.some(/address already in use/i);
        if (!portClash || opts.port !== undefined || attempt >= PORT_ATTEMPTS) throw err;
        log(`postgres: port ${port} was taken, retrying with another`);
      }
    }
  } catch (err) {
    await output.close();
    throw err;
  }
}

/** Collects server output: whole lines to the log file and a short in-memory tail for error messages. */
class Output {
  readonly recent = new RecentLines();
  private readonly splitter: LineSplitter;
  private closed = false;

  constructor(private readonly file: Writable | undefined) {
    this.splitter = new LineSplitter((line) => {
      this.recent.push(line);
      this.file?.write(`${line}\n`);
    });
  }

  write(chunk: string): void {
    // Backends can still print after the postmaster exited; the log file is closed by then.
    if (!this.closed) this.splitter.write(chunk);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.splitter.flush();
    this.closed = true;
    if (this.file) await closeLogFile(this.file);
  }
}

type Instance = InstanceType<Awaited<ReturnType<typeof loadEmbeddedPostgres>>>;

// embedded-postgres keeps the postmaster ChildProcess in a private field; we need it to stop or kill the
// server with a deadline (its own stop() waits forever if the process already died). Pinned version.
function postmasterOf(instance: Instance): ChildProcess | undefined {
  const child = (instance as unknown as { process?: ChildProcess }).process;
  return child && typeof child.kill === 'function' ? child : undefined;
}

// Should this process exit without stopping the postmaster, it gets SIGINT (Postgres's fast shutdown), from
// the moment embedded-postgres spawns it: its start() can take seconds, and our handle exists only after.
function guardPostmaster(instance: Instance): Instance {
  let current: ChildProcess | undefined;
  Object.defineProperty(instance, 'process', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set(child: ChildProcess | undefined) {
      current = child;
      if (!child?.pid) return;
      const unguard = guardChild(child.pid, 'SIGINT');
      child.once('exit', unguard);
    },
  });
  return instance;
}

// Once we have stopped the server, make the instance look stopped to embedded-postgres as well, so its own
// stop() (reachable through its shutdown hooks should they ever be active) returns instead of hanging.
function forgetPostmaster(instance: Instance): void {
  (instance as unknown as { process?: ChildProcess }).process = undefined;
}

async function startInstance(instance: Instance, timeoutMs: number, output: Output): Promise<ChildProcess> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  // embedded-postgres rejects with `undefined` when the server exits early, so the reason is in the output.
  const started = instance.start().then(
    () => 'ok' as const,
    (err: unknown) => ({ err }),
  );
  const result = await Promise.race([started, timeout]);
  clearTimeout(timer);
  const child = postmasterOf(instance);
  if (result === 'ok' && child) return child;
  if (child) {
    child.kill('SIGKILL');
    await exitOf(child);
    forgetPostmaster(instance);
  }
  const why =
    result === 'timeout'
      ? `did not accept connections within ${timeoutMs} ms`
      : result === 'ok'
        ? 'started but its process handle is missing (embedded-postgres changed?)'
        : `exited during startup${result.err instanceof Error ? `: ${result.err.message}` : ''}`;
  throw new Error(`postgres ${why}. Server output:\n${output.recent}`);
}

interface HandleParts {
  instance: Instance;
  postmaster: ChildProcess;
  port: number;
  database: string;
  user: string;
  password: string;
  dataDir: string;
  output: Output;
  log: (line: string) => void;
}

function makeHandle(p: HandleParts): PostgresHandle {
  const pid = p.postmaster.pid ?? 0;
  const exited = exitOf(p.postmaster);
  let finishing: Promise<void> | undefined;
  let paused: number[] = [];
  const finish = (how: () => Promise<void>) => {
    finishing ??= how().finally(async () => {
      forgetPostmaster(p.instance);
      await p.output.close();
    });
    return finishing;
  };
  return {
    url: pgUrl(p.user, p.password, p.port, p.database),
    host: HOST,
    port: p.port,
    database: p.database,
    user: p.user,
    password: p.password,
    dataDir: p.dataDir,
    pid,
    exited,
    stop: () =>
      finish(async () => {
        if (!isRunning(p.postmaster)) return;
        p.postmaster.kill('SIGINT');
        const timedOut = await raceTimeout(exited, STOP_TIMEOUT_MS);
        if (timedOut) {
          p.log(`postgres: no exit ${STOP_TIMEOUT_MS} ms after SIGINT, sending SIGKILL`);
          p.postmaster.kill('SIGKILL');
          await exited;
        }
        p.log('postgres: stopped');
      }),
    kill: () =>
      finish(async () => {
        if (!isRunning(p.postmaster)) return;
        // Backends outlive a SIGKILLed postmaster briefly and keep its shared memory attached, which makes
        // the next start refuse the data directory; wait for them too.
        const backends = await childPids(pid);
        p.postmaster.kill('SIGKILL');
        await exited;
        await waitFor(
          `postgres backends ${backends.join(', ')} to exit after the postmaster was killed`,
          async () => {
            const alive = await Promise.all(backends.map(async (b) => procInfo(b)));
            // A pid already reused by something else (no "postgres" in its command line) counts as gone.
            return alive.every((info) => !info || info.zombie || !info.cmdline.includes('postgres'));
          },
          { timeoutMs: 10_000, intervalMs: 20 },
        );
        p.log('postgres: killed');
      }),
    async pause() {
      // The postmaster first: stopped, it forks no backend and reaps none while they are listed.
      if (!signalIfAlive(pid, 'SIGSTOP')) return;
      paused = [pid];
      paused.push(...(await childPids(pid)).filter((child) => signalIfAlive(child, 'SIGSTOP')));
    },
    resume() {
      for (const stopped of paused.splice(0)) signalIfAlive(stopped, 'SIGCONT');
    },
  };
}

async function ensureDatabase(adminUrl: string, database: string, log: (line: string) => void): Promise<void> {
  const client = await connectPg(adminUrl);
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rows.length > 0) return;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      log(`postgres: created database ${database}`);
    } catch (err) {
      // Someone else created it between our check and CREATE; that is what we wanted.
      if ((err as { code?: string }).code !== '42P04') throw err;
    }
  } finally {
    await client.end();
  }
}

// Postgres runs as the unprivileged "postgres" user when we are root, so it must be able to traverse every
// directory above the cluster. mkdtemp() makes 0700 dirs, so temp dirs are opened up (search bit only);
// anything else we leave alone and explain.
async function ensureReachableByPostgresUser(dataDir: string, log: (line: string) => void): Promise<void> {
  const tmp = await fs.realpath(os.tmpdir());
  const real = await fs.realpath(dataDir);
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    const stat = await fs.stat(dir);
    if ((stat.mode & 0o001) === 0) {
      const rel = path.relative(tmp, dir);
      const insideTmp = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
      if (!insideTmp) {
        throw new Error(
          `Postgres runs as user "postgres" (it refuses root) and cannot reach ${dataDir} because ${dir} is not searchable by others. ` +
            `Run \`chmod o+x ${dir}\` or choose a dataDir elsewhere.`,
        );
      }
      await fs.chmod(dir, (stat.mode & 0o7777) | 0o001);
      log(`postgres: made ${dir} searchable so the postgres user can reach its data directory`);
    }
    if (path.dirname(dir) === dir) return;
  }
}

function pgUrl(user: string, password: string, port: number, database: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}/${encodeURIComponent(database)}`;
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function exitOf(child: ChildProcess): Promise<ExitInfo> {
  if (!isRunning(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function raceTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  const result = await Promise.race([promise.then(() => false), timeout]);
  clearTimeout(timer);
  return result;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
