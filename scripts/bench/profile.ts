/**
 * `--profile <services>`: V8 CPU profiles of chosen services over each phase, and where their time
 * went. The services load `profiler.mjs`; the bench signals them when a phase's measuring begins and
 * when it ends, then reads the profiles they wrote. What a profile says on this kind of machine is
 * often not what one guesses — the group-committed claims came from seeing a third of the
 * gateway's time spent in socket writes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { waitFor } from '@jangar/devstack';
import { REPO_ROOT, type ServiceName, type Stack } from '@jangar/stack';

const PRELOAD = path.join(REPO_ROOT, 'scripts', 'bench', 'profiler.mjs');

/** The parts of a `.cpuprofile` the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a process's sampled time went, by function and by package; shares of the sampled time. */
export interface ProfileSummary {
  service: string;
  file: string;
  sampledMs: number;
  /** Share of the time the process waited for work (its event loop idle). */
  idle: number;
  garbageCollector: number;
  functions: { name: string; where: string; share: number }[];
  packages: { name: string; share: number }[];
}

/**
 * The environment that makes each service load the profiler, writing into `dir` under
 * `<phase>-<service>`. Node options the bench inherited (`--enable-source-maps`) are kept.
 */
export function profileEnv(
  services: readonly ServiceName[],
  dir: string,
  phase: string,
  inherited = process.env.NODE_OPTIONS,
): Partial<Record<ServiceName, Record<string, string>>> {
  const nodeOptions = [inherited, `--import=${PRELOAD}`].filter(Boolean).join(' ');
  return Object.fromEntries(
    services.map((s) => [s, { NODE_OPTIONS: nodeOptions, JANGAR_PROFILE_DIR: dir, JANGAR_PROFILE_NAME: `${phase}-${s}` }]),
  );
}

/** Merges two per-service environments, the second's variables winning. */
export function mergeServiceEnv(
  a: Partial<Record<ServiceName, Record<string, string>>>,
  b: Partial<Record<ServiceName, Record<string, string>>>,
): Partial<Record<ServiceName, Record<string, string>>> {
  const out: Partial<Record<ServiceName, Record<string, string>>> = { ...a };
  for (const [s, env] of Object.entries(b) as [ServiceName, Record<string, string>][]) out[s] = { ...out[s], ...env };
  return out;
}

/** Starts profiling the services' running processes; `finish` stops it and summarizes each profile written. */
export function startProfiling(stack: Stack, services: readonly ServiceName[], dir: string, phase: string) {
  const signal = () => {
    const pids: { service: ServiceName; pid: number }[] = [];
    for (const service of services) {
      for (const proc of stack.processes(service)) {
        try {
          process.kill(proc.pid, 'SIGUSR2');
          pids.push({ service, pid: proc.pid });
        } catch {
          // Gone (the ceiling phase stops policy): nothing to profile.
        }
      }
    }
    return pids;
  };
  signal();
  return {
    async finish(): Promise<ProfileSummary[]> {
      const summaries: ProfileSummary[] = [];
      for (const { service, pid } of signal()) {
        const file = path.join(dir, `${phase}-${service}-${pid}.cpuprofile`);
        const text = await waitFor(`the CPU profile of ${service}`, () => readFile(file, 'utf8').catch(() => undefined), {
          timeoutMs: 30_000,
          intervalMs: 100,
        });
        summaries.push({ service, file, ...summarizeProfile(JSON.parse(text) as CpuProfile) });
      }
      return summaries;
    },
  };
}

/** The package a script belongs to: `node_modules/<package>`, a `node:` module, or the file in the repository. */
function packageOf(url: string): string {
  if (!url) return '(V8 and native)';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1]!;
  if (url.startsWith('node:')) return url;
  const local = url.replace(/^file:\/\//, '');
  return path.isAbsolute(local) ? path.relative(REPO_ROOT, local) : local;
}

/** Self time by function and by package, as shares of the sampled time, the largest first. */
export function summarizeProfile(profile: CpuProfile, top = 12): Omit<ProfileSummary, 'service' | 'file'> {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byPackage = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id);
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idle += us;
    if (functionName === '(garbage collector)') gc += us;
    const name = functionName || '(anonymous)';
    const pkg = packageOf(url);
    const where = url ? `${pkg}:${lineNumber + 1}` : pkg;
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const share = (us: number) => Math.round((us / total) * 1000) / 1000;
  return {
    sampledMs: Math.round(total / 1000),
    idle: share(idle),
    garbageCollector: share(gc),
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, share: share(f.us) })),
    packages: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: share(us) })),
  };
}

/** The report's lines for one summary. */
export function profileLines(s: ProfileSummary): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  return [
    `  ${s.service}: ${s.sampledMs} ms sampled, ${pct(s.idle).trim()} idle, ${pct(s.garbageCollector).trim()} in GC; ${path.relative(process.cwd(), s.file)}`,
    '    self time by function:',
    ...s.functions.map((f) => `    ${pct(f.share)}  ${f.name}  ${f.where}`),
    '    self time by package:',
    ...s.packages.map((p) => `    ${pct(p.share)}  ${p.name}`),
  ];
}
