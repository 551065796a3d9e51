/**
 * Group commit for the audit chain. Every append must hold the chain lock, so under a burst
 * one-transaction-per-message queues on that lock; instead, events that arrive while a commit is
 * running are written together by the next one (service-kit's `groupCommit`).
 */
import { groupCommit, type GroupCommit } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import { appendAuditEvents, type NewAuditEvent, type TxQuery } from './events.js';

interface Append {
  event: NewAuditEvent;
  /** Statements that must commit with the event (e.g. its revision row). */
  alongside: ((q: TxQuery) => Promise<void>) | undefined;
}

export class AuditWriter {
  private readonly commits: GroupCommit<Append, boolean>;

  constructor(db: Database, maxBatch = 200) {
    this.commits = groupCommit<Append, boolean>(
      (batch) =>
        db.transaction(async (q) => {
          const appended = await appendAuditEvents(
            q,
            batch.map((a) => a.event),
          );
          for (const a of batch) await a.alongside?.(q);
          return appended;
        }),
      { maxBatch },
    );
  }

  /** Commits made and events written, for tests and metrics. */
  get stats(): { commits: number; events: number } {
    return { commits: this.commits.stats.writes, events: this.commits.stats.items };
  }

  /** Appends one event (and its companion statements) with the next group commit; false when its dedup ID was already there. */
  append(event: NewAuditEvent, alongside?: (q: TxQuery) => Promise<void>): Promise<boolean> {
    return this.commits.add({ event, alongside });
  }
}
