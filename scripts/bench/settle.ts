import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { CONSUMERS } from '@jangar/contracts';

/** Work the control plane still has queued. */
export interface Backlog {
  /** Gateway deliveries with no stored answer yet. */
  pendingDeliveries: number;
  /** Messages not yet delivered or not yet acked, summed over every durable consumer. */
  consumerBacklog: number;
}

export interface SettleReport {
  settled: boolean;
  waitedMs: number;
  atStart: Backlog;
  left: Backlog;
}

const idle = (b: Backlog) => b.pendingDeliveries === 0 && b.consumerBacklog === 0;

/**
 * Watches the queues behind the gateway. A load step leaves work behind (202s still being processed,
 * run-status events for audit and the aggregator); measuring the next step on top of it would blame
 * that step for the previous one's backlog.
 */
export class BacklogProbe {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly db: pg.Client,
  ) {}

  /** Connects to the stack's NATS and Postgres. */
  static async open(natsUrl: string, databaseUrl: string): Promise<BacklogProbe> {
    const nc = await connect({ servers: natsUrl.split(','), name: 'jangar-bench' });
    const db = new pg.Client({ connectionString: databaseUrl });
    // Ctrl-C reaches Postgres too, which then ends this connection; unhandled, that error would kill
    // the bench before it stops the stack. The next query fails instead, which the caller handles.
    db.on('error', () => undefined);
    try {
      await db.connect();
      return new BacklogProbe(nc, await jetstreamManager(nc), db);
    } catch (err) {
      await nc.close();
      await db.end().catch(() => undefined);
      throw err;
    }
  }

  /** Reads the current backlog. */
  async read(): Promise<Backlog> {
    const { rows } = await this.db.query<{ n: string }>("select count(*) as n from gateway.deliveries where state = 'pending'");
    let consumerBacklog = 0;
    for (const def of Object.values(CONSUMERS)) {
      const info = await this.jsm.consumers.info(def.stream, def.durable);
      consumerBacklog += info.num_pending + info.num_ack_pending;
    }
    return { pendingDeliveries: Number(rows[0]?.n ?? 0), consumerBacklog };
  }

  /** Waits until the backlog has been empty for `quietMs` (simulated runs keep moving a moment after the last message). */
  async settle(opts: { quietMs: number; timeoutMs: number; signal?: AbortSignal }): Promise<SettleReport> {
    const t0 = Date.now();
    const atStart = await this.read();
    let left = atStart;
    let quietSince = idle(left) ? Date.now() : undefined;
    while (!opts.signal?.aborted && Date.now() - t0 < opts.timeoutMs) {
      if (quietSince !== undefined && Date.now() - quietSince >= opts.quietMs) {
        return { settled: true, waitedMs: Date.now() - t0, atStart, left };
      }
      await sleep(250);
      left = await this.read();
      if (!idle(left)) quietSince = undefined;
      else quietSince ??= Date.now();
    }
    return { settled: false, waitedMs: Date.now() - t0, atStart, left };
  }

  async close(): Promise<void> {
    await this.db.end().catch(() => undefined);
    await this.nc.close().catch(() => undefined);
  }
}
