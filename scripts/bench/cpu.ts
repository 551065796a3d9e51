/**
 * CPU time of the processes this bench started, grouped by what they are, read from /proc (Linux
 * only; elsewhere every sample is empty). Taken around a step and divided by its answers, it says
 * which process a request's cost grows in.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's utime and stime (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SEC = 100;

export interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, and the same of its reaped children, in ticks. */
  ticks: number;
}

async function readProc(pid: number): Promise<Proc | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14). The last two
    // are the children that ended and were reaped: a Postgres backend that closes mid-step (a pool
    // dropping an idle connection) moves its CPU to the postmaster, in the same group, instead of
    // taking it out of the sum.
    const ticks = [11, 12, 13, 14].reduce((t, i) => t + Number(fields[i]), 0);
    return { pid, ppid: Number(fields[1]), comm, ticks };
  } catch {
    return undefined; // gone, or not Linux
  }
}

/** What a process is: a service by its bundle, otherwise its command name. */
async function groupOf(p: Proc, self: number): Promise<string> {
  if (p.pid === self) return 'bench';
  if (p.comm === 'postgres' || p.comm === 'nats-server') return p.comm;
  const cmdline = await readFile(`/proc/${p.pid}/cmdline`, 'utf8').catch(() => '');
  const service = /services\/([\w-]+)\/dist\/main\.mjs/.exec(cmdline)?.[1];
  if (service) return service;
  if (cmdline.includes('kube-dev')) return 'kube-dev';
  return 'other';
}

/** This process and every process it started, each with its group (postgres, nats-server, a service name, kube-dev, bench, other). */
export async function benchProcesses(): Promise<Array<Proc & { group: string }>> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const procs = (await Promise.all(entries.filter((e) => /^\d+$/.test(e)).map((e) => readProc(Number(e))))).filter(
    (p): p is Proc => p !== undefined,
  );
  const children = new Map<number, Proc[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const self = process.pid;
  const out: Array<Proc & { group: string }> = [];
  const root = procs.find((p) => p.pid === self);
  const queue = root ? [root] : [];
  for (let p = queue.shift(); p; p = queue.shift()) {
    out.push({ ...p, group: await groupOf(p, self) });
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** CPU milliseconds so far per group, over this process and everything it started. */
export async function cpuByGroup(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await benchProcesses()) out[p.group] = (out[p.group] ?? 0) + (p.ticks * 1000) / TICKS_PER_SEC;
  return out;
}

/** CPU milliseconds per answer and group between two samples; processes that exited in between are left out. */
export function cpuPerAnswer(before: Record<string, number>, after: Record<string, number>, answers: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [group, ms] of Object.entries(after)) {
    const used = ms - (before[group] ?? 0);
    if (used > 0 && answers > 0) out[group] = Math.round((used / answers) * 100) / 100;
  }
  return out;
}

/** Cores each group kept busy between two samples `seconds` apart (CPU time ÷ wall time), busiest first. */
export function coresUsed(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
  const used = Object.entries(after)
    .map(([group, ms]): [string, number] => [group, Math.round(((ms - (before[group] ?? 0)) / 1000 / seconds) * 100) / 100])
    .filter(([, cores]) => cores > 0)
    .sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(used);
}

/** Table cells for CPU ms per answer: the named groups, the other groups summed, and the total. */
export function cpuCells(perAnswer: Record<string, number>, groups: readonly string[]): string[] {
  const entries = Object.entries(perAnswer);
  const sum = (list: Array<[string, number]>) => list.reduce((t, [, v]) => t + v, 0);
  return [
    ...groups.map((g) => (perAnswer[g] ?? 0).toFixed(2)),
    sum(entries.filter(([g]) => !groups.includes(g))).toFixed(2),
    sum(entries).toFixed(2),
  ];
}
