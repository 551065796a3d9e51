import fs from 'node:fs/promises';

/** What /proc says about a process. */
export interface ProcInfo {
  cmdline: string;
  ppid: number;
  zombie: boolean;
  /** Clock ticks after boot at which it started: with the pid, names one process even after the pid is reused. */
  startTime: string | undefined;
}

/** Reads /proc for `pid`; undefined when it does not exist (or /proc is unavailable). */
export async function procInfo(pid: number): Promise<ProcInfo | undefined> {
  try {
    const [cmdline, stat] = await Promise.all([fs.readFile(`/proc/${pid}/cmdline`, 'utf8'), fs.readFile(`/proc/${pid}/stat`, 'utf8')]);
    // The command name in field 2 may contain spaces and parentheses, so parse from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      cmdline: cmdline.split('\0').join(' '),
      ppid: Number(rest[1]),
      zombie: rest[0] === 'Z' || rest[0] === 'X',
      // Field 22 of stat; `rest` starts at field 3.
      startTime: rest[19],
    };
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

/** Sends `signal` to `pid`; false when the process is gone. */
export function signalIfAlive(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
