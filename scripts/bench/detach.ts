/**
 * Runs the benchmark as a child in its own process group, with this process only relaying signals.
 *
 * Why: a terminal's Ctrl-C signals the whole foreground group at once, so nats-server, Postgres,
 * tsx's esbuild helpers and every service die in no particular order while a step is running; and
 * the tsx CLI SIGKILLs its child when the child has not acknowledged a signal within about 30 ms,
 * which a benchmark saturating a small machine can miss. Killed that way, the bench never stops
 * the stack, and a service whose log pipe is gone can hang on exit. In its own group the bench gets
 * exactly one signal, from here, and stops the stack in order; this process stays idle, so it
 * answers tsx in time.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';

const MARKER = 'JANGAR_BENCH_DETACHED';

/** True in the child started by {@link runDetached}. */
export function isDetachedChild(): boolean {
  return process.env[MARKER] === '1';
}

/** Starts this script again in a new process group, relays SIGINT and SIGTERM, and resolves with its exit code. */
export function runDetached(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    // The IPC channel lets the child notice if this process dies without relaying anything.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: { ...process.env, [MARKER]: '1' },
  });
  const relay = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', relay);
  process.on('SIGTERM', relay);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`Jangar bench: could not start: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}
