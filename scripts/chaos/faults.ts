/**
 * The faults of a chaos run. A kill strikes a part of the stack with SIGKILL (no shutdown hook
 * runs, as in a crash or an OOM kill), then starts it again on the same port and data. A freeze
 * stops a dependency with SIGSTOP for a while, then lets it go on: its connections stay open and
 * nothing answers, as in a partition, a stalled disk or a failover in progress, which only
 * deadlines notice. Fault k strikes when the storm reaches request k·total/(faults+1); clients
 * past that point wait for the strike, so every fault hits a storm with requests in flight, and
 * faults never overlap (one target is back before the next is struck).
 */
import { SERVICE_NAMES, type FreezeTarget, type ServiceName, type Stack } from '@jangar/stack';

/** One replica of a service, named as in the stack's messages: `policy-1` is the second. */
type ReplicaTarget = `${ServiceName}-${number}`;
type KillTarget = ServiceName | ReplicaTarget | 'kube-dev' | 'nats-server' | 'postgres';
export type FaultTarget = KillTarget | `freeze ${FreezeTarget}`;

/** Every service in turn, then the Kubernetes API server, nats-server and Postgres. */
export const KILL_FAULTS: readonly FaultTarget[] = [...SERVICE_NAMES, 'kube-dev', 'nats-server', 'postgres'];
/** Postgres, nats-server and the Kubernetes API server, each frozen in turn. */
export const FREEZE_FAULTS: readonly FaultTarget[] = ['freeze postgres', 'freeze nats-server', 'freeze kube-dev'];
/** What `npm run chaos` strikes: every kill, then every freeze. */
export const ALL_FAULTS: readonly FaultTarget[] = [...KILL_FAULTS, ...FREEZE_FAULTS];

/**
 * {@link ALL_FAULTS} for a stack with `replicas`: a service with more than one process loses its
 * second one alone, so the others go on serving its consumers while it is down, as in a rolling
 * node failure, and the dead replica's unacknowledged messages pass to them.
 */
export function faultsFor(replicas: Partial<Record<ServiceName, number>>): FaultTarget[] {
  return ALL_FAULTS.map((target) => {
    const count = replicas[target as ServiceName] ?? 1;
    return count > 1 ? (`${target}-1` as ReplicaTarget) : target;
  });
}

/** The service and process index of a one-replica kill target, such as `status-aggregator-1`. */
export function replicaOf(target: string): { name: ServiceName; index: number } | undefined {
  const match = /^(.+)-(\d+)$/.exec(target);
  const name = match?.[1] as ServiceName | undefined;
  return match && name && SERVICE_NAMES.includes(name) ? { name, index: Number(match[2]) } : undefined;
}

export interface FaultReport {
  target: FaultTarget;
  /** When it struck (epoch ms). */
  struckAt: number;
  /** From the strike until the process (or service) was ready again, or thawed. */
  downMs: number;
}

const frozenOf = (target: FaultTarget): FreezeTarget | undefined =>
  target.startsWith('freeze ') ? (target.slice('freeze '.length) as FreezeTarget) : undefined;

async function kill(stack: Stack, target: KillTarget): Promise<void> {
  const replica = replicaOf(target);
  if (replica) return stack.kill(replica.name, replica.index);
  if (target === 'kube-dev') return stack.killKubeDev();
  if (target === 'nats-server') return stack.killNats();
  if (target === 'postgres') return stack.stopPostgres();
  return stack.kill(target as ServiceName);
}

async function start(stack: Stack, target: KillTarget): Promise<void> {
  const replica = replicaOf(target);
  if (replica) return stack.revive(replica.name, replica.index);
  if (target === 'kube-dev') return stack.startKubeDev();
  if (target === 'nats-server') return stack.startNats();
  if (target === 'postgres') return stack.startPostgres();
  return stack.restart(target as ServiceName);
}

/** Strikes `target`, calls `struck`, and resolves once it is back. */
async function strikeOnce(stack: Stack, target: FaultTarget, freezeMs: number, log: (line: string) => void, struck: () => void) {
  const frozen = frozenOf(target);
  if (frozen) {
    await stack.freeze(frozen);
    log(`  ✗ freeze ${frozen} (SIGSTOP) for ${(freezeMs / 1000).toFixed(1)}s`);
    struck();
    await new Promise((resolve) => setTimeout(resolve, freezeMs));
    stack.thaw(frozen);
    return;
  }
  await kill(stack, target as KillTarget);
  log(`  ✗ kill -9 ${target}`);
  struck();
  await start(stack, target as KillTarget);
}

export class FaultPlan {
  private chain: Promise<void> = Promise.resolve();
  private readonly struck = new Map<number, Promise<void>>();
  private readonly thresholds: number[];
  readonly reports: FaultReport[] = [];

  constructor(
    private readonly stack: Stack,
    private readonly targets: readonly FaultTarget[],
    total: number,
    private readonly log: (line: string) => void,
    /** How long a freeze lasts. */
    private readonly freezeMs = 15_000,
  ) {
    this.thresholds = targets.map((_, k) => Math.floor(((k + 1) * total) / (targets.length + 1)));
  }

  /** Waits, before request `index` of the storm is sent, until every fault due by then has struck. */
  async before(index: number): Promise<void> {
    for (let k = 0; k < this.targets.length && this.thresholds[k]! <= index; k++) await this.strike(k);
  }

  /** Resolves once every fault has struck and its target is back; for faults the storm never reached, too. */
  async finish(): Promise<FaultReport[]> {
    for (let k = 0; k < this.targets.length; k++) await this.strike(k);
    await this.chain;
    return this.reports;
  }

  private strike(k: number): Promise<void> {
    let struck = this.struck.get(k);
    if (struck) return struck;
    const target = this.targets[k]!;
    let onStruck!: () => void;
    let onFailed!: (err: unknown) => void;
    struck = new Promise<void>((resolve, reject) => ((onStruck = resolve), (onFailed = reject)));
    this.struck.set(k, struck);
    // A failed kill or restart fails this fault and every later one, so no client waits forever.
    const run = this.chain.then(async () => {
      const t0 = Date.now();
      await strikeOnce(this.stack, target, this.freezeMs, this.log, onStruck);
      const downMs = Date.now() - t0;
      this.reports.push({ target, struckAt: t0, downMs });
      this.log(`  ✓ ${frozenOf(target) ?? target} back after ${(downMs / 1000).toFixed(1)}s`);
    });
    run.catch(onFailed);
    this.chain = run;
    return struck;
  }
}
