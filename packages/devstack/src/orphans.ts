import fs from 'node:fs/promises';
import { isAlive, readOwner } from './owner.js';
import { procInfo } from './proc.js';
import { waitFor } from './wait.js';

export { childPids, procInfo } from './proc.js';
export type { ProcInfo } from './proc.js';

/** What {@link stopOrphan} should look for. */
export interface OrphanCheck {
  /** File whose first line is the pid of the previous run's server. */
  pidFile: string;
  /**
   * Owner record (see owner.ts) of the process that started the server: a leftover is stopped only once
   * that process is gone, so a second launcher on the same directory cannot kill a running one's server.
   */
  ownerFile: string;
  /** Every string must appear in the process's command line, so an unrelated process that reused the pid is left alone. */
  cmdlineIncludes: readonly string[];
  /** Signal asking for a clean shutdown. */
  signal: NodeJS.Signals;
  what: string;
  log: (line: string) => void;
  timeoutMs?: number;
}

/**
 * Stops a server left running by a previous parent that died without cleaning up (e.g. kill -9 of `npm start`),
 * which would otherwise keep holding the data directory; throws, stopping nothing, when the process that started
 * it still runs. Linux only; elsewhere the server reports the conflict itself.
 */
export async function stopOrphan(check: OrphanCheck): Promise<boolean> {
  const pid = await readPid(check.pidFile);
  if (pid === undefined || pid === process.pid) return false;
  const info = await procInfo(pid);
  if (!info || info.zombie) return false;
  if (!check.cmdlineIncludes.every((s) => info.cmdline.includes(s))) return false;
  if (info.ppid === process.pid) {
    throw new Error(`${check.what} (pid ${pid}) is already running from this process on the same directory; stop it first`);
  }
  const owner = await readOwner(check.ownerFile);
  if (owner && (await isAlive(owner))) {
    throw new Error(
      `${check.what} (pid ${pid}) is still in use by process ${owner.pid}, which started it and still runs, on the same directory; stop that first`,
    );
  }
  // Without a record (a server from before they were written) only one reparented to init is known to be
  // orphaned; one under a live parent may be someone's, so the person decides.
  if (!owner && info.ppid !== 1) {
    throw new Error(
      `${check.what} (pid ${pid}) is already running on the same directory under process ${info.ppid}; stop it (kill ${pid}) if nothing uses it`,
    );
  }
  check.log(`stopping ${check.what} left over from an earlier run (pid ${pid})`);
  const gone = async () => {
    const now = await procInfo(pid);
    return !now || now.zombie;
  };
  try {
    process.kill(pid, check.signal);
    await waitFor(`leftover ${check.what} (pid ${pid}) to exit`, gone, { timeoutMs: check.timeoutMs ?? 15_000 });
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited in the meantime.
    }
    await waitFor(`leftover ${check.what} (pid ${pid}) to exit after SIGKILL`, gone, { timeoutMs: 5_000 });
  }
  return true;
}

/** Reads the pid on the first line of a pid file, if there is one. */
export async function readPid(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
