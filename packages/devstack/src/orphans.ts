import fs from 'node:fs/promises';
import { waitFor } from './wait.js';

/** What {@link stopOrphan} should look for. */
export interface OrphanCheck {
  /** File whose first line is the pid of the previous run's server. */
  pidFile: string;
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
 * which would otherwise keep holding the data directory. Linux only; elsewhere the server reports the conflict itself.
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

interface ProcInfo {
  cmdline: string;
  ppid: number;
  zombie: boolean;
}

/** Reads /proc for `pid`; undefined when it does not exist (or /proc is unavailable). */
export async function procInfo(pid: number): Promise<ProcInfo | undefined> {
  try {
    const [cmdline, stat] = await Promise.all([fs.readFile(`/proc/${pid}/cmdline`, 'utf8'), fs.readFile(`/proc/${pid}/stat`, 'utf8')]);
    // The command name in field 2 may contain spaces and parentheses, so parse from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cmdline: cmdline.split('\0').join(' '), ppid: Number(rest[1]), zombie: rest[0] === 'Z' || rest[0] === 'X' };
  } catch {
    return undefined;
  }
}

/** Pids of the direct children of `pid`, from /proc (empty where /proc is unavailable). */
export async function childPids(pid: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await fs.readdir('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const info = await procInfo(Number(e));
        if (info && info.ppid === pid) children.push(Number(e));
      }),
  );
  return children;
}
