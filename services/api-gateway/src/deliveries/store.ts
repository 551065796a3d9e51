/**
 * The idempotency store. A row is claimed before anything is published, so a crash after the claim
 * leaves a pending row that a retry or the recovery sweep publishes again; the answer is stored
 * once, by whichever path sees the outcome first (`where state = 'pending'`).
 */
import { groupCommit, TransientError, withinDeadline } from '@jangar/service-kit';
import { deleteInBatches, type Database } from '@jangar/service-kit/db';
import type { RequestMessage } from '@jangar/contracts';
import { Delivery } from '../entities/index.js';
import type { PublishedMark } from './published-marks.js';

/** A stored delivery, as the ORM maps a row of `gateway.deliveries`. */
export type DeliveryRow = Delivery;

export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface NewDelivery {
  requestKey: string;
  principal: string;
  deliveryId: string;
  fingerprint: string;
  resourceId: string;
  kind: string;
  verb: string;
  namespace: string;
  name: string | undefined;
  message: RequestMessage;
}

/**
 * Claims that may wait for a write at once. At the gateway's rate a queue this long means Postgres
 * is not answering; a claim past it is refused at once (503) rather than waiting out its deadline.
 */
const MAX_QUEUED_CLAIMS = 5_000;

export class DeliveryStore {
  /**
   * Claims are group-committed: the claims that arrive while one insert runs go in the next, as
   * one statement. Under load that is one round trip, one commit and one socket write for many
   * accepts instead of one each, which on a CPU-bound gateway is a third of an accept's cost
   * (docs/benchmarks.md); a lone claim still goes at once, with no added wait.
   */
  private readonly claims = groupCommit<NewDelivery, boolean>((batch) => this.insertClaims(batch), { maxQueued: MAX_QUEUED_CLAIMS });

  constructor(
    private readonly db: Database,
    private readonly retentionHours: number,
    /**
     * How long a claim may take, from its call, before it fails as transient. The database's own
     * deadline bounds each statement, but a claim queued behind a batch that hangs would wait for
     * that batch and then its own.
     */
    private readonly claimDeadlineMs?: number,
  ) {}

  /** Inserts the delivery unless its key exists; returns the existing row when it does. */
  async claim(d: NewDelivery): Promise<{ claimed: true } | { claimed: false; existing: DeliveryRow }> {
    const ms = this.claimDeadlineMs;
    if (ms === undefined) return this.claimOnce(d);
    // One deadline for the whole claim, counted from this call; a claim still queued when it passes
    // is dropped, so only one already being written can be stored after its caller got a 503.
    return withinDeadline(
      (signal) => this.claimOnce(d, signal),
      ms,
      () => new TransientError(`the claim was not stored within ${ms} ms`),
    );
  }

  private async claimOnce(d: NewDelivery, signal?: AbortSignal): Promise<{ claimed: true } | { claimed: false; existing: DeliveryRow }> {
    if (await this.claims.add(d, signal)) return { claimed: true };
    const existing = await this.get(d.requestKey);
    if (!existing) return this.claimOnce(d, signal); // purged between the two statements
    return { claimed: false, existing };
  }

  /** Claims made and the statements that made them, for tests and metrics. */
  get claimStats(): { readonly writes: number; readonly items: number } {
    return this.claims.stats;
  }

  /**
   * Inserts a batch of claims in one statement; true for each claim that inserted its row. Of two
   * claims of one key in a batch (a client sending the same deliveryId twice at once) the first
   * wins and the second finds its row, as it would one statement later.
   */
  private async insertClaims(batch: readonly NewDelivery[]): Promise<boolean[]> {
    const first = new Map<string, NewDelivery>();
    for (const d of batch) if (!first.has(d.requestKey)) first.set(d.requestKey, d);
    const rows = [...first.values()].map((d) => ({
      request_key: d.requestKey,
      principal: d.principal,
      delivery_id: d.deliveryId,
      fingerprint: d.fingerprint,
      resource_id: d.resourceId,
      kind: d.kind,
      verb: d.verb,
      namespace: d.namespace,
      name: d.name ?? null,
      message: d.message,
    }));
    // Raw SQL: the claim is `on conflict do nothing` with expiry on the database's clock. The rows
    // travel as one jsonb array: the query builder would spread a JS array into separate parameters.
    const inserted = await this.db.query<{ request_key: string }>(
      `insert into gateway.deliveries (request_key, principal, delivery_id, fingerprint, resource_id, kind, verb, namespace, name, message, expires_at)
       select r.request_key, r.principal, r.delivery_id, r.fingerprint, r.resource_id, r.kind, r.verb, r.namespace, r.name, r.message,
              now() + make_interval(secs => ?)
       from jsonb_to_recordset(?::jsonb) as r(request_key text, principal text, delivery_id text, fingerprint text, resource_id uuid,
                                               kind text, verb text, namespace text, name text, message jsonb)
       on conflict (request_key) do nothing returning request_key`,
      [this.retentionHours * 3600, JSON.stringify(rows)],
    );
    const won = new Set(inserted.map((r) => r.request_key));
    return batch.map((d) => first.get(d.requestKey) === d && won.has(d.requestKey));
  }

  /** The delivery with this request key, if one is stored. */
  async get(requestKey: string): Promise<DeliveryRow | undefined> {
    return this.one('select * from gateway.deliveries where request_key = ?', [requestKey]);
  }

  /**
   * The first row of a raw read, mapped as the ORM maps it. Reads on the request path are raw: the
   * ORM's `findOne` spends more CPU building its query than Postgres spends answering it (at 200
   * runs a second, a tenth of the gateway's time went to `findOne` of the run GET).
   */
  private async one(sql: string, params: readonly unknown[]): Promise<DeliveryRow | undefined> {
    const [row] = await this.db.query(sql, params);
    return row ? this.db.withEm(async (em) => em.map(Delivery, row)) : undefined;
  }

  /** Marks these attempts published, in one statement (a batch of `published-marks.ts`); a row reopened since as a later attempt stays unmarked. */
  async markPublished(marks: readonly PublishedMark[]): Promise<void> {
    // Raw SQL here and in the updates below: each is a conditional single-statement transition
    // (`where state = 'pending' and attempt = ?`, `coalesce`, `now()`) that must not become read-modify-write.
    // The marks travel as one jsonb array: the query builder would spread a JS array into separate parameters.
    await this.db.query(
      `update gateway.deliveries d set published_at = coalesce(d.published_at, now())
       from jsonb_to_recordset(?::jsonb) as m("requestKey" text, attempt int)
       where d.request_key = m."requestKey" and d.attempt = m.attempt`,
      [JSON.stringify(marks)],
    );
  }

  /**
   * Stores the final answer of an attempt unless one is stored; true when this call stored it. An
   * outcome of an earlier attempt (redelivered late) changes nothing.
   */
  async complete(requestKey: string, attempt: number, response: StoredResponse, resource: unknown): Promise<boolean> {
    const rows = await this.db.query(
      `update gateway.deliveries set state = 'completed', status_code = ?, content_type = ?, response_body = ?, resource = ?::jsonb, completed_at = now(),
         published_at = coalesce(published_at, now())
       where request_key = ? and state in ('pending', 'awaiting') and attempt = ? returning request_key`,
      [response.status, response.contentType, response.body, resource === undefined ? null : JSON.stringify(resource), requestKey, attempt],
    );
    return rows.length > 0;
  }

  /**
   * Records a retryable rejection of an attempt: its answer is kept for whoever waits, but it is not
   * final. True when this call recorded it; a row past this attempt, or already answered, is left alone.
   */
  async markRetryable(requestKey: string, attempt: number, response: StoredResponse): Promise<boolean> {
    return this.setInterim('retryable', requestKey, attempt, response);
  }

  /** Records that an attempt is held for approval: retries replay its 202 until the outcome completes the row. */
  async markAwaiting(requestKey: string, attempt: number, response: StoredResponse): Promise<void> {
    await this.setInterim('awaiting', requestKey, attempt, response);
  }

  private async setInterim(
    state: 'retryable' | 'awaiting',
    requestKey: string,
    attempt: number,
    response: StoredResponse,
  ): Promise<boolean> {
    // Only a row still waiting for this attempt moves: a late message never undoes a final answer.
    // An awaiting answer may give way to a newer one: a run approved, then queued behind a limit.
    const rows = await this.db.query(
      `update gateway.deliveries set state = ?, status_code = ?, content_type = ?, response_body = ?, published_at = coalesce(published_at, now())
       where request_key = ? and state in ('pending', 'awaiting') and attempt = ? returning request_key`,
      [state, response.status, response.contentType, response.body, requestKey, attempt],
    );
    return rows.length > 0;
  }

  /**
   * Reopens a retryably rejected request as its next attempt, with the message to publish. Of
   * several retries racing, one reopens it; the others get undefined and find it pending.
   */
  async reopen(row: DeliveryRow): Promise<DeliveryRow | undefined> {
    return this.one(
      `update gateway.deliveries set state = 'pending', attempt = attempt + 1, message = jsonb_set(message, '{attempt}', to_jsonb(attempt + 1)),
         status_code = null, content_type = null, response_body = null, published_at = null
       where request_key = ? and state = 'retryable' and attempt = ? returning *`,
      [row.requestKey, row.attempt],
    );
  }

  /**
   * The delivery whose request carries this Jangar id, whatever its state: each request gets a fresh
   * id, so for a create it is the delivery of the resource it creates.
   */
  async findByResource(resourceId: string): Promise<DeliveryRow | undefined> {
    return this.one('select * from gateway.deliveries where resource_id = ? order by created_at desc limit 1', [resourceId]);
  }

  /** Pending rows never marked published, older than `olderThanMs`: a crash hit between claim and publish. */
  async unpublished(olderThanMs: number, limit = 100): Promise<DeliveryRow[]> {
    // Raw SQL: the age is measured on the database's clock, the one that stamped created_at.
    const rows = await this.db.query(
      `select * from gateway.deliveries where state = 'pending' and published_at is null
         and created_at < now() - make_interval(secs => ?) order by created_at limit ?`,
      [olderThanMs / 1000, limit],
    );
    return this.db.withEm(async (em) => rows.map((r) => em.map(Delivery, r)));
  }

  /** Deletes deliveries past their retention, in batches of `batch` rows; returns how many. */
  async purgeExpired(batch?: number): Promise<number> {
    // An hour's expired rows at 1,000 accepts a second are millions: one statement would hold them all locked.
    return deleteInBatches(
      this.db,
      'delete from gateway.deliveries where request_key in (select request_key from gateway.deliveries where expires_at < now() limit ?)',
      [],
      batch,
    );
  }
}

/** The stored answer of a completed row, or the 202 of one held for approval (replayed until it completes). */
export function storedResponse(row: DeliveryRow): StoredResponse | undefined {
  if ((row.state !== 'completed' && row.state !== 'awaiting') || row.statusCode == null || row.responseBody == null) return undefined;
  return { status: row.statusCode, contentType: row.contentType ?? 'application/json', body: row.responseBody };
}

/** The answer of an attempt as far as it got: final when completed, the retryable rejection of this very attempt, else nothing yet. */
export function answerOfAttempt(row: DeliveryRow, attempt: number): StoredResponse | undefined {
  if (row.state === 'completed' || row.state === 'awaiting') return storedResponse(row);
  if (row.state !== 'retryable' || row.attempt !== attempt || row.statusCode == null || row.responseBody == null) return undefined;
  return { status: row.statusCode, contentType: row.contentType ?? 'application/json', body: row.responseBody };
}
