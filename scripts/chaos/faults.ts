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

type KillTarget = ServiceName | 'kube-dev' | 'nats-server' | 'postgres';
export type FaultTarget = KillTarget | `freeze ${FreezeTarget}`;

/** Every service in turn, then the Kubernetes API server, nats-server and Postgres. */
export const KILL_FAULTS: readonly FaultTarget[] = [...SERVICE_NAMES, 'kube-dev', 'nats-server', 'postgres'];
/** Postgres, nats-server and the Kubernetes API server, each frozen in turn. */
export const FREEZE_FAULTS: readonly FaultTarget[] = ['freeze postgres', 'freeze nats-server', 'freeze kube-dev'];
/** What `npm run chaos` strikes: every kill, then every freeze. */
export const ALL_FAULTS: readonly FaultTarget[] = [...KILL_FAULTS, ...FREEZE_FAULTS];

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
  if (target === 'kube-dev') return stack.killKubeDev();
  if (target === 'nats-server') return stack.killNats();
  if (target === 'postgres') return stack.stopPostgres();
  return stack.kill(target);
}

async function start(stack: Stack, target: KillTarget): Promise<void> {
  if (target === 'kube-dev') return stack.startKubeDev();
  if (target === 'nats-server') return stack.startNats();
  if (target === 'postgres') return stack.startPostgres();
  return stack.restart(target);
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
