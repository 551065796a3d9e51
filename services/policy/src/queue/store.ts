import { z } from 'zod';
import type { QueueEntryView, QueueQuery, QueueState, QueueSummary, RequestMessage } from '@jangar/contracts';
import { continueToken, cursorInstant, cursorInstantSql } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import { namespaceScope } from '../scope.js';
import type { DecisionStore, KeptDecision } from '../decisions/store.js';

/** A row of `policy.run_queue`, times as RFC 3339 text; `due` once its wait has run out. */
export interface QueueRow {
  id: string;
  request_key: string;
  attempt: number;
  state: QueueState;
  namespace: string;
  kind: string;
  name: string | null;
  agent: string | null;
  reason: QueueSummary['reason'];
  detail: string;
  message: RequestMessage;
  enqueued_at: string;
  expires_at: string;
  settled_at: string | null;
  due: boolean;
}

/** Where a waiting run stands in the queue's order: its enqueue time (microseconds, RFC 3339) and id. */
export interface QueuePosition {
  at: string;
  id: string;
}

/** What holds a run back, to be written on its queue entry. */
export interface QueueEntry {
  agent: string | undefined;
  reason: QueueSummary['reason'];
  detail: string;
}

/** How many runs may wait, in the namespace and in the cluster (undefined: no cluster-wide bound), and for how long. */
export interface QueueSizes {
  namespace: number;
  cluster: number | undefined;
  maxWaitSeconds: number;
}

/** A run turned away because its queue is full: which one, how many wait there, and its size. */
export interface QueueFull {
  scope: 'namespace' | 'cluster';
  waiting: number;
  limit: number;
}

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const COLUMNS = [
  'id, request_key, attempt, state, namespace, kind, name, agent, reason, detail, message',
  // Microseconds: runs queued by several replicas within one millisecond still read in their queue order.
  `${cursorInstantSql('enqueued_at')} as enqueued_at, ${iso('expires_at')} as expires_at, ${iso('settled_at')} as settled_at`,
  'expires_at <= now() as due',
].join(', ');

const cursor = continueToken(z.object({ at: cursorInstant, id: z.guid() }));

// Count-then-insert of a queue entry happens under one lock across replicas, so a queue never overfills.
const QUEUE_LOCK = 0x6a717565; // "jque"

/** The API view of a queue row. */
export function toQueueSummary(row: QueueRow): QueueSummary {
  return {
    id: row.id,
    state: row.state,
    namespace: row.namespace,
    kind: row.kind,
    ...(row.name === null ? {} : { name: row.name }),
    ...(row.agent === null ? {} : { agent: row.agent }),
    reason: row.reason,
    message: row.detail,
    enqueuedAt: row.enqueued_at,
    expiresAt: row.expires_at,
    ...(row.settled_at === null ? {} : { settledAt: row.settled_at }),
  };
}

/**
 * The run queue in Postgres, shared by every policy replica. A request waits at most once per
 * attempt (its request key is unique), is tried by one replica at a time (a lease), and leaves
 * the queue once (`state = 'Queued'` guards every settle).
 */
export class QueueStore {
  constructor(private readonly db: Database) {}

  /** How many runs wait in a namespace, and what holds the first of them back. */
  async waitingIn(namespace: string): Promise<{ count: number; first?: QueueEntry }> {
    // Raw SQL here and below: partial-index scans, leases and guarded state changes on the database's clock.
    const [row] = await this.db.query<{ n: string; reason: QueueSummary['reason'] | null; detail: string | null; agent: string | null }>(
      `select count(*) as n,
              (array_agg(reason order by enqueued_at))[1] as reason,
              (array_agg(detail order by enqueued_at))[1] as detail,
              (array_agg(agent order by enqueued_at))[1] as agent
         from policy.run_queue where state = 'Queued' and namespace = ?`,
      [namespace],
    );
    const count = Number(row?.n ?? 0);
    if (count === 0 || !row?.reason) return { count };
    return { count, first: { reason: row.reason, detail: row.detail ?? '', agent: row.agent ?? undefined } };
  }

  /**
   * Puts a run in the queue, or returns its entry when this attempt waits already (a redelivery).
   * A queue at its size turns the run away instead.
   */
  async enqueue(
    message: RequestMessage,
    entry: QueueEntry,
    sizes: QueueSizes,
    id: string,
  ): Promise<{ row: QueueRow } | { full: QueueFull }> {
    const p = message.payload;
    return this.db.transaction(async (q) => {
      await q('select pg_advisory_xact_lock(?)', [QUEUE_LOCK]);
      const [existing] = await q<QueueRow>(`select ${COLUMNS} from policy.run_queue where request_key = ?`, [message.requestKey]);
      if (existing && existing.attempt >= message.attempt) return { row: existing };
      const [counts] = await q<{ namespace: string; cluster: string }>(
        `select count(*) filter (where namespace = ?) as namespace, count(*) as cluster from policy.run_queue where state = 'Queued'`,
        [p.metadata.namespace],
      );
      const inNamespace = Number(counts?.namespace ?? 0);
      const inCluster = Number(counts?.cluster ?? 0);
      if (inNamespace >= sizes.namespace) return { full: { scope: 'namespace', waiting: inNamespace, limit: sizes.namespace } };
      if (sizes.cluster !== undefined && inCluster >= sizes.cluster)
        return { full: { scope: 'cluster', waiting: inCluster, limit: sizes.cluster } };
      // A later attempt of a request that waited before (its wait expired) queues again from the back.
      const [row] = await q<QueueRow>(
        `insert into policy.run_queue (id, request_key, attempt, namespace, kind, name, agent, reason, detail, message, expires_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, now() + make_interval(secs => ?))
         on conflict (request_key) do update set attempt = excluded.attempt, state = 'Queued', reason = excluded.reason,
           detail = excluded.detail, message = excluded.message, enqueued_at = now(), expires_at = excluded.expires_at,
           leased_until = null, leased_by = null, settled_at = null
         returning ${COLUMNS}`,
        [
          id,
          message.requestKey,
          message.attempt,
          p.metadata.namespace,
          p.kind,
          p.metadata.name ?? null,
          entry.agent ?? null,
          entry.reason,
          entry.detail,
          JSON.stringify(message),
          sizes.maxWaitSeconds,
        ],
      );
      return { row: row! };
    });
  }

  /**
   * Up to `limit` waiting runs that no drainer is trying, oldest first, after `after` (a pass reads
   * the queue in pages). Reading leases nothing: a run is leased only when its try comes.
   */
  async waiting(limit: number, after?: QueuePosition): Promise<Array<QueueRow & { position: QueuePosition }>> {
    const rows = await this.db.query<QueueRow & { enqueued_key: string }>(
      `select ${COLUMNS}, ${cursorInstantSql('enqueued_at')} as enqueued_key from policy.run_queue
        where state = 'Queued' and (leased_until is null or leased_until < now())
          ${after ? 'and (enqueued_at, id) > (?::timestamptz, ?::uuid)' : ''}
        order by enqueued_at, id limit ?`,
      [...(after ? [after.at, after.id] : []), limit],
    );
    return rows.map(({ enqueued_key, ...row }) => ({ ...row, position: { at: enqueued_key, id: row.id } }));
  }

  /**
   * Leases one waiting run to `owner` for `leaseMs`, unless another drainer holds it or it left the
   * queue; returns it as it stands now. The owner renews the lease while its try lasts, so a lease
   * lapses only when its owner died or stalled.
   */
  async lease(id: string, leaseMs: number, owner: string): Promise<QueueRow | undefined> {
    const [row] = await this.db.query<QueueRow>(
      `update policy.run_queue set leased_until = now() + make_interval(secs => ?), leased_by = ?
        where id = ? and state = 'Queued' and (leased_until is null or leased_until < now() or leased_by = ?)
        returning ${COLUMNS}`,
      [leaseMs / 1000, owner, id, owner],
    );
    return row;
  }

  /** Extends `owner`'s lease of a run it is trying; false when the lease is not its own any more. */
  async renew(id: string, leaseMs: number, owner: string): Promise<boolean> {
    const rows = await this.db.query(
      `update policy.run_queue set leased_until = now() + make_interval(secs => ?)
        where id = ? and state = 'Queued' and leased_by = ? returning 1`,
      [leaseMs / 1000, id, owner],
    );
    return rows.length > 0;
  }

  /** Gives back `owner`'s lease of a run that still waits, so the next pass may try it at once. */
  async unlease(id: string, owner: string): Promise<void> {
    await this.db.query(
      `update policy.run_queue set leased_until = null, leased_by = null where id = ? and state = 'Queued' and leased_by = ?`,
      [id, owner],
    );
  }

  /**
   * Takes a run's attempt out of the queue: admitted, refused or expired. Undefined if it had left
   * already. A retry's attempt waits in the same entry, which a try of the attempt before it, late,
   * must not take out.
   */
  async settle(entry: Pick<QueueRow, 'id' | 'attempt'>, state: Exclude<QueueState, 'Queued'>): Promise<QueueRow | undefined> {
    const [row] = await this.db.query<QueueRow>(
      `update policy.run_queue set state = ?, settled_at = now(), leased_until = null, leased_by = null
        where id = ? and attempt = ? and state = 'Queued' returning ${COLUMNS}`,
      [state, entry.id, entry.attempt],
    );
    return row;
  }

  /** Takes a run out of the queue as {@link settle} does, unless a drainer holds its lease (is trying it now). */
  async settleUnleased(id: string, state: Exclude<QueueState, 'Queued'>): Promise<QueueRow | undefined> {
    const [row] = await this.db.query<QueueRow>(
      `update policy.run_queue set state = ?, settled_at = now(), leased_until = null, leased_by = null
        where id = ? and state = 'Queued' and (leased_until is null or leased_until < now()) returning ${COLUMNS}`,
      [state, id],
    );
    return row;
  }

  /**
   * Queue entries in the caller's namespaces: waiting runs in the order they will be tried, each
   * with its place in its namespace's queue; runs that left it, newest first.
   */
  async list(q: QueueQuery): Promise<{ items: QueueEntryView[]; continue?: string }> {
    const waiting = q.state === 'Queued';
    const scope = namespaceScope(q);
    const where = ['state = ?', ...scope.where];
    const params: unknown[] = [q.state, ...scope.params];
    const after = q.continue === undefined ? [] : [cursor.decode(q.continue)];
    const page = await this.db.query<QueueRow & { key: string; delivery_id: string; requested_by: string; position: string | null }>(
      // Positions are numbered before the cursor cuts the page, so page two goes on counting.
      `select * from (
         select ${COLUMNS}, ${cursorInstantSql('enqueued_at')} as key,
                message->>'deliveryId' as delivery_id, message->'principal'->>'subject' as requested_by,
                ${waiting ? 'row_number() over (partition by namespace order by enqueued_at, id)' : 'null'} as position,
                enqueued_at as sort_at
           from policy.run_queue where ${where.join(' and ')}
       ) entries
       ${after.length ? `where (sort_at, id) ${waiting ? '>' : '<'} (?::timestamptz, ?::uuid)` : ''}
       order by sort_at ${waiting ? 'asc' : 'desc'}, id ${waiting ? 'asc' : 'desc'} limit ?`,
      [...params, ...after.flatMap((c) => [c.at, c.id]), q.limit + 1],
    );
    const items = page.slice(0, q.limit);
    const last = items.at(-1);
    return {
      items: items.map((row) => ({
        ...toQueueSummary(row),
        deliveryId: row.delivery_id,
        requestedBy: row.requested_by,
        ...(row.position === null ? {} : { position: Number(row.position) }),
      })),
      ...(page.length > q.limit && last ? { continue: cursor.encode({ at: last.key, id: last.id }) } : {}),
    };
  }

  /**
   * The waiting runs named `target` the delete `requestKey` may cancel, and those it cancelled
   * already — again to a redelivery of the same delete, so it can finish what it started.
   * `leaving` while the drainer holds the run's lease: it may be admitted this very moment.
   */
  async cancellable(
    target: { namespace: string; kind: string; name: string },
    requestKey: string,
  ): Promise<{ entries: QueueRow[] } | { leaving: true } | undefined> {
    const match = 'namespace = ? and kind = ? and name = ?';
    const where = [target.namespace, target.kind, target.name];
    const entries = await this.db.query<QueueRow>(
      `select ${COLUMNS} from policy.run_queue
        where ${match} and ((state = 'Queued' and (leased_until is null or leased_until < now())) or (state = 'Cancelled' and cancelled_by = ?))`,
      [...where, requestKey],
    );
    if (entries.length > 0) return { entries };
    const leased = await this.db.query(`select 1 from policy.run_queue where ${match} and state = 'Queued' limit 1`, where);
    return leased.length > 0 ? { leaving: true } : undefined;
  }

  /**
   * Keeps `cancellation`, the delete `requestKey`'s, as the decision of the queued attempt `entry`
   * ({@link DecisionStore.settle}) and, in the same transaction, when it is kept, takes the entry
   * out of the queue as cancelled by that delete. So a cancellation is never kept without its mark,
   * for a drainer to find or another delete to take as its own. Returns the decision that stands —
   * the cancellation, or one kept first: a drainer's, whose lease lapsed mid-try, another delete's
   * cancellation, an expiry — and the entry as marked, if it was.
   */
  async cancel(
    entry: Pick<QueueRow, 'id' | 'attempt' | 'request_key'>,
    requestKey: string,
    cancellation: KeptDecision,
    decisions: Pick<DecisionStore, 'settle'>,
  ): Promise<{ standing: KeptDecision; row?: QueueRow }> {
    return this.db.transaction(async (q) => {
      const standing = await decisions.settle(entry.request_key, entry.attempt, cancellation, q);
      if (standing !== cancellation) return { standing };
      const [row] = await q<QueueRow>(
        `update policy.run_queue set state = 'Cancelled', settled_at = coalesce(?::timestamptz, now()), leased_until = null, leased_by = null,
                cancelled_by = ?
          where id = ? and attempt = ? and state = 'Queued' returning ${COLUMNS}`,
        [cancellation.decision.queue?.settledAt ?? null, requestKey, entry.id, entry.attempt],
      );
      return { standing, ...(row ? { row } : {}) };
    });
  }

  /** The queue entry of a request, whatever its state. */
  async byRequestKey(requestKey: string): Promise<QueueRow | undefined> {
    const [row] = await this.db.query<QueueRow>(`select ${COLUMNS} from policy.run_queue where request_key = ?`, [requestKey]);
    return row;
  }
}
