import { randomUUID } from 'node:crypto';
import type { Logger } from '@jangar/service-kit';
import type { Refusal } from '../slots/store.js';
import type { QueuePosition, QueueRow, QueueStore } from './store.js';

/** How a pass tries one queued run: admitted or refused (nothing left to do), or still held back by the full scopes. */
export type TryQueued = (row: QueueRow) => Promise<{ blocked?: Array<Refusal['scope']> }>;

/** The scopes a refusal names, as keys a pass skips: once the cluster or a namespace is full, the runs behind wait too. */
function scopeKeys(row: Pick<QueueRow, 'namespace' | 'agent'>): { cluster: string; namespace: string; agent: string | undefined } {
  return { cluster: 'cluster', namespace: `ns:${row.namespace}`, agent: row.agent ? `agent:${row.namespace}/${row.agent}` : undefined };
}

/** How many tries in a row may fail before a pass gives up: past a few, the trouble is the bus or the database, not a run. */
const FAILURES_IN_A_ROW = 3;

/**
 * Works the run queue, oldest first: each pass reads the waiting runs page by page and tries each,
 * skipping those behind a scope a run ahead found full (so one pass costs one try per full scope,
 * not one per waiting run). Passes never overlap in one replica; a poke during a pass asks for
 * another after it. Replicas share the queue through leases: a run is leased just before its try
 * and its lease renewed while the try lasts, so a delete can cancel any run not being tried, and
 * none whose try is under way. A run whose try fails is left for the next pass; the runs behind
 * it are still tried.
 */
export class QueueDrainer {
  private running: Promise<void> | undefined;
  private again = false;
  // Leases carry it, so only this drainer renews or gives back its own.
  private readonly owner = randomUUID();

  constructor(
    private readonly queue: Pick<QueueStore, 'waiting' | 'lease' | 'renew' | 'unlease'>,
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
    let after: QueuePosition | undefined;
    let left = 0;
    let failures = 0;
    for (let seen = 0; seen < this.opts.maxPerPass;) {
      const rows = await this.queue.waiting(this.opts.batch, after);
      seen += rows.length;
      after = rows.at(-1)?.position;
      for (const waiting of rows) {
        const keys = scopeKeys(waiting);
        const behindFull = full.has(keys.cluster) || full.has(keys.namespace) || (keys.agent !== undefined && full.has(keys.agent));
        // A run whose wait ran out leaves whatever is full.
        if (behindFull && !waiting.due) continue;
        const row = await this.queue.lease(waiting.id, this.opts.leaseMs, this.owner);
        if (!row) continue; // another replica is trying it, or it left the queue since the page was read
        try {
          const result = await this.leased(row, () => this.tryRun(row));
          failures = 0;
          if (!result.blocked) {
            left++;
            continue;
          }
          for (const scope of result.blocked) {
            const key = keys[scope];
            if (key) full.add(key);
          }
        } catch (err) {
          if (++failures >= FAILURES_IN_A_ROW) throw err;
          this.logger.warn(
            { err, queued: row.id, requestKey: row.request_key },
            'trying a queued run failed; the next pass tries it again',
          );
        } finally {
          // A run that left the queue has no lease to give back; one that waits on may be tried at once.
          await this.queue.unlease(row.id, this.owner);
        }
      }
      if (rows.length < this.opts.batch) break;
    }
    return left;
  }

  /** Runs `work` on a leased run, renewing the lease while it lasts (an admission may wait on the API server or the bus). */
  private async leased<T>(row: QueueRow, work: () => Promise<T>): Promise<T> {
    // A renewal still in flight when the try ends finds the run settled or given back: no loss to report.
    let trying = true;
    const renew = setInterval(() => {
      this.queue.renew(row.id, this.opts.leaseMs, this.owner).then(
        (held) =>
          held || !trying || this.logger.warn({ queued: row.id }, 'the lease of a queued run being tried was lost; it may be tried twice'),
        (err: unknown) => this.logger.warn({ err, queued: row.id }, 'could not renew the lease of a queued run being tried'),
      );
    }, this.opts.leaseMs / 3);
    renew.unref();
    try {
      return await work();
    } finally {
      trying = false;
      clearInterval(renew);
    }
  }
}
