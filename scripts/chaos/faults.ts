/**
 * The faults of a chaos run: each part of the stack in turn is killed with SIGKILL (no shutdown
 * hook runs, as in a crash or an OOM kill) while the storm is in flight, then started again on
 * the same port and data. Fault k strikes when the storm reaches request k·total/(faults+1);
 * clients past that point wait for the kill, so every fault hits a storm with requests in flight,
 * and faults never overlap (one restart completes before the next kill).
 */
import { SERVICE_NAMES, type ServiceName, type Stack } from '@jangar/stack';

export type FaultTarget = ServiceName | 'kube-dev' | 'nats-server' | 'postgres';

/** Every service in turn, then the Kubernetes API server, nats-server and Postgres. */
export const ALL_FAULTS: readonly FaultTarget[] = [...SERVICE_NAMES, 'kube-dev', 'nats-server', 'postgres'];

export interface FaultReport {
  target: FaultTarget;
  /** From the kill until the process (or service) was ready again. */
  downMs: number;
}

async function kill(stack: Stack, target: FaultTarget): Promise<void> {
  if (target === 'kube-dev') return stack.killKubeDev();
  if (target === 'nats-server') return stack.killNats();
  if (target === 'postgres') return stack.stopPostgres();
  return stack.kill(target);
}

async function start(stack: Stack, target: FaultTarget): Promise<void> {
  if (target === 'kube-dev') return stack.startKubeDev();
  if (target === 'nats-server') return stack.startNats();
  if (target === 'postgres') return stack.startPostgres();
  return stack.restart(target);
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
      await kill(this.stack, target);
      this.log(`  ✗ kill -9 ${target}`);
      onStruck();
      await start(this.stack, target);
      const downMs = Date.now() - t0;
      this.reports.push({ target, downMs });
      this.log(`  ✓ ${target} back after ${(downMs / 1000).toFixed(1)}s`);
    });
    run.catch(onFailed);
    this.chain = run;
    return struck;
  }
}
