// Last-resort cleanup: if the parent exits without stopping what it started, signal the children so
// they do not linger holding ports and data directories. Only synchronous work is possible in 'exit'.
import { signalIfAlive } from './proc.js';

interface Tracked {
  pid: number;
  signal: NodeJS.Signals;
}

const tracked = new Set<Tracked>();

function onExit(): void {
  for (const t of tracked) signalIfAlive(t.pid, t.signal);
}

/** Whether `fn` is this module's 'exit' listener, so code that strips foreign process hooks can spare it. */
export function isExitGuardListener(fn: unknown): boolean {
  return fn === onExit;
}

/** Signals `pid` with `signal` if this process exits while it is still tracked; returns the function that stops tracking it. */
export function guardChild(pid: number, signal: NodeJS.Signals): () => void {
  const entry: Tracked = { pid, signal };
  // The listener exists only while something is tracked, so an idle devstack leaves `process` untouched.
  if (tracked.size === 0) process.on('exit', onExit);
  tracked.add(entry);
  return () => {
    if (!tracked.delete(entry)) return;
    if (tracked.size === 0) process.removeListener('exit', onExit);
  };
}
