/**
 * Group commit for the audit chain. Every append must hold the chain lock, so under a burst
 * one-transaction-per-message queues on that lock; instead, events that arrive while a commit is
 * running are written together by the next one. Each caller's promise settles when the commit
 * holding its event does, so a consumer still acks only after its event is durable.
 */
import type { Database } from '@jangar/service-kit/db';
import { appendAuditEvents, type NewAuditEvent, type TxQuery } from './events.js';

interface Pending {
  event: NewAuditEvent;
  /** Statements that must commit with the event (e.g. its revision row). */
  alongside: ((q: TxQuery) => Promise<void>) | undefined;
  resolve(appended: boolean): void;
  reject(err: unknown): void;
}

export class AuditWriter {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;
  /** Commits made and events written, for tests and metrics. */
  readonly stats = { commits: 0, events: 0 };

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 200,
  ) {}

  /** Appends one event (and its companion statements) with the next group commit. */
  append(event: NewAuditEvent, alongside?: (q: TxQuery) => Promise<void>): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, alongside, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = this.flush(this.queue.splice(0, this.maxBatch)).finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const appended = await this.commit(batch);
      batch.forEach((p, i) => p.resolve(appended[i] ?? false));
    } catch (err) {
      // One bad event must not fail its neighbours forever: retry them one by one, so only the
      // failing one is nak'ed and redelivered.
      if (batch.length === 1) batch[0]!.reject(err);
      else for (const p of batch) await this.flush([p]);
    }
  }

  private async commit(batch: Pending[]): Promise<boolean[]> {
    const appended = await this.db.transaction(async (q) => {
      const result = await appendAuditEvents(
        q,
        batch.map((p) => p.event),
      );
      for (const p of batch) await p.alongside?.(q);
      return result;
    });
    this.stats.commits++;
    this.stats.events += batch.length;
    return appended;
  }
}
