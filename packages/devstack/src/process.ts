import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { guardChild } from './exit-guard.js';
import { RecentLines } from './lines.js';
import { closeLogFile, openLogFile } from './log-file.js';

/** How a child process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options for {@link spawnService}. */
export interface SpawnServiceOptions {
  /** Short name used in messages, e.g. "audit". */
  name: string;
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** Variables layered over the parent's environment; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Start from an empty environment instead of the parent's (default false). */
  cleanEnv?: boolean;
  /** Appends every stdout/stderr line here (parent directories are created). */
  logFile?: string;
  /** Called for every output line, e.g. to watch for a readiness message. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Signal sent by stop() and when the parent exits (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** How long stop() waits before escalating to SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /**
   * Ties the child to this process: it gets a stdin pipe, which ends when this process dies however it dies
   * (kill -9 included), and JANGAR_EXIT_WITH_PARENT=1, which tells a Jangar process to shut down when it does.
   */
  exitWithParent?: boolean;
}

/** A running child process started by {@link spawnService}. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles once the process has exited and its log file is flushed. */
  readonly exited: Promise<ExitInfo>;
  /** Set once the process has exited. */
  readonly exitInfo: ExitInfo | undefined;
  /** The last lines the process printed, for error messages. */
  recentOutput(): string;
  /** Sends the stop signal, waits for exit and escalates to SIGKILL after the deadline; safe to call repeatedly. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** Sends a signal right away without waiting (default SIGKILL). */
  kill(signal?: NodeJS.Signals): void;
}

// If something inherited our pipes keeps them open after the child died, stop waiting for them after this.
const STDIO_CLOSE_GRACE_MS = 2_000;

/** Spawns a child process with piped output going to a log file and an optional line callback; resolves once it is running, rejects if it cannot start. */
export async function spawnService(opts: SpawnServiceOptions): Promise<ServiceProcess> {
  const stopSignal = opts.stopSignal ?? 'SIGTERM';
  const defaultStopTimeout = opts.stopTimeoutMs ?? 10_000;
  const recent = new RecentLines();
  const logStream = opts.logFile === undefined ? undefined : await openLogFile(opts.logFile);

  const env: NodeJS.ProcessEnv = opts.cleanEnv ? {} : { ...process.env };
  for (const [key, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  // Inherited from a launcher that was itself started this way, it would make a child without the pipe
  // read /dev/null's end at once and exit.
  if (opts.exitWithParent) env.JANGAR_EXIT_WITH_PARENT = '1';
  else delete env.JANGAR_EXIT_WITH_PARENT;

  const child = spawn(opts.command, [...(opts.args ?? [])], {
    cwd: opts.cwd,
    env,
    // Otherwise no stdin: nothing of ours should keep the child (or our event loop) tied up after stop().
    stdio: [opts.exitWithParent ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  // Nothing is ever written to it; its only use is to close when we die. A child that exits breaks it.
  child.stdin?.on('error', () => undefined);

  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    logStream?.end();
    throw new Error(`could not start ${opts.name} (${opts.command}): ${(err as Error).message}`, { cause: err });
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.name}: no pid`);
  const unguard = guardChild(pid, stopSignal);

  const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
    recent.push(line);
    logStream?.write(`${line}\n`);
    opts.onLine?.(line, stream);
  };
  if (child.stdout) readline.createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', onLine('stdout'));
  if (child.stderr) readline.createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', onLine('stderr'));

  let exitInfo: ExitInfo | undefined;
  const exited = waitForExit(child).then(async (info) => {
    exitInfo = info;
    unguard();
    if (logStream) await closeLogFile(logStream);
    return info;
  });

  let stopping: Promise<ExitInfo> | undefined;
  const handle: ServiceProcess = {
    name: opts.name,
    pid,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    recentOutput: () => recent.toString(),
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (exitInfo === undefined) child.kill(signal);
    },
    stop(timeoutMs = defaultStopTimeout) {
      stopping ??= stopProcess(child, exited, stopSignal, timeoutMs);
      return stopping;
    },
  };
  return handle;
}

/** Sends `signal`, waits up to `timeoutMs` for `exited`, then SIGKILLs and waits again. */
export async function stopProcess(
  child: ChildProcess,
  exited: Promise<ExitInfo>,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<ExitInfo> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return first;
  child.kill('SIGKILL');
  return exited;
}

/** Resolves when the child has exited and its output pipes are drained (or abandoned after a grace period). */
export function waitForExit(child: ChildProcess): Promise<ExitInfo> {
  return new Promise((resolve) => {
    let info: ExitInfo | undefined;
    let grace: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(grace);
      if (info) resolve(info);
    };
    child.once('exit', (code, signal) => {
      info = { code, signal };
      // Normally 'close' follows at once; a grandchild holding our pipes must not make us hang.
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, STDIO_CLOSE_GRACE_MS);
    });
    child.once('close', (code, signal) => {
      info ??= { code, signal };
      finish();
    });
  });
}
