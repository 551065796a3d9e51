/**
 * Resident memory of the processes the bench started, from /proc (Linux only; elsewhere empty).
 * VmRSS counts every page a process has resident, shared ones included, so the RSS of a group of
 * processes that share memory (Postgres's backends share its buffers) overcounts; Pss (from
 * smaps_rollup) splits each shared page between its sharers, so Pss adds up across processes.
 */
import { readFile } from 'node:fs/promises';
import { benchProcesses } from './cpu.js';

/** A `Name:   1234 kB` field of /proc/<pid>/status or smaps_rollup, in kB; undefined when absent. */
export function kbField(text: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface GroupMemory {
  /** Processes in the group (Postgres has one per connection). */
  processes: number;
  /** Sum of VmRSS, MB (10^6 bytes). */
  rssMB: number;
  /** Sum of Pss, MB: the group's own share of what is resident. */
  pssMB: number;
}

const mb = (kb: number) => Math.round((kb * 1024) / 1e4) / 100;

/** Memory per group (postgres, nats-server, each service, kube-dev, bench, other). */
export async function memoryByGroup(): Promise<Record<string, GroupMemory>> {
  const out: Record<string, { processes: number; rssKb: number; pssKb: number }> = {};
  for (const p of await benchProcesses()) {
    const status = await readFile(`/proc/${p.pid}/status`, 'utf8').catch(() => '');
    const rollup = await readFile(`/proc/${p.pid}/smaps_rollup`, 'utf8').catch(() => '');
    const rss = kbField(status, 'VmRSS');
    if (rss === undefined) continue; // gone, or a kernel thread
    const g = (out[p.group] ??= { processes: 0, rssKb: 0, pssKb: 0 });
    g.processes += 1;
    g.rssKb += rss;
    g.pssKb += kbField(rollup, 'Pss') ?? rss;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { processes: v.processes, rssMB: mb(v.rssKb), pssMB: mb(v.pssKb) }]));
}
