import type { Logger } from '@jangar/service-kit';
import type { Refusal } from '../slots/store.js';
import type { QueueRow, QueueStore } from './store.js';

/** How a pass tries one queued run: admitted or refused (nothing left to do), or still held back by the full scopes. */
export type TryQueued = (row: QueueRow) => Promise<{ blocked?: Array<Refusal['scope']> }>;

/** The scopes a refusal names, as keys a pass skips: once the cluster or a namespace is full, the runs behind wait too. */
function scopeKeys(row: Pick<QueueRow, 'namespace' | 'agent'>): { cluster: string; namespace: string; agent: string | undefined } {
  return { cluster: 'cluster', namespace: `ns:${row.namespace}`, agent: row.agent ? `agent:${row.namespace}/${row.agent}` : undefined };
}

/**
 * Works the run queue, oldest first: each pass leases the waiting runs and tries each, skipping
 * those behind a scope a run ahead found full (so one pass costs one try per full scope, not one
 * per waiting run). Passes never overlap in one replica; a poke during a pass asks for another
 * after it. Replicas share the queue through leases.
 */
export class QueueDrainer {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly queue: QueueStore,
    private readonly tryRun: TryQueued,
    private readonly logger: Logger,
    private readonly opts: { batch: number; maxPerPass: number; leaseMs: number } = { batch: 100, maxPerPass: 2000, leaseMs: 30_000 },
  ) {}

  /** Asks for a pass now: a slot freed, a run joined the queue, or the sweep's time came. */
  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass().catch((err: unknown) => this.logger.warn({ err }, 'a pass over the run queue failed; the next one retries'));
      } while (this.again);
    })().finally(() => (this.running = undefined));
  }

  /** Resolves once no pass is running (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** One pass over the queue; returns how many runs left it (admitted, refused or expired). */
  async pass(): Promise<number> {
    const full = new Set<string>();
    const leased: string[] = [];
    let left = 0;
    try {
      for (let seen = 0; seen < this.opts.maxPerPass;) {
        const rows = await this.queue.lease(this.opts.batch, this.opts.leaseMs);
        leased.push(...rows.map((r) => r.id));
        seen += rows.length;
        for (const row of rows) {
          const keys = scopeKeys(row);
          const behindFull = full.has(keys.cluster) || full.has(keys.namespace) || (keys.agent !== undefined && full.has(keys.agent));
          // A run whose wait ran out leaves whatever is full.
          if (behindFull && !row.due) continue;
          const result = await this.tryRun(row);
          if (!result.blocked) {
            left++;
            continue;
          }
          for (const scope of result.blocked) {
            const key = keys[scope];
            if (key) full.add(key);
          }
        }
        if (rows.length < this.opts.batch) break;
      }
    } finally {
      // Leases are held to the end of the pass so its later batches don't lease the same runs
      // again, and given back even when a try failed; a run that left the queue keeps nothing.
      await this.queue.unlease(leased);
    }
    return left;
  }
}
