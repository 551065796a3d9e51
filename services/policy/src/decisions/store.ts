/**
 * The first decision of each attempt of a request. Deciding is not repeatable: a redelivered
 * request decided again could land otherwise — refused at a limit the first time, admitted once a
 * slot freed — and the second decision, published under the same dedup ID, would be dropped while
 * its effects (a slot taken, a budget charged) stayed, and the client would get no answer. So the
 * first decision is kept, and a redelivery publishes it again instead of deciding. A held attempt's
 * `pending` is the one decision that gives way, to the decision that settles it ({@link DecisionStore.settle}).
 */
import { DecisionPayload, DomainErrorPayload } from '@jangar/contracts';
import { groupCommit } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';

/** A decision and, when it refused the request, the rejection published as its outcome. */
export interface KeptDecision {
  decision: DecisionPayload;
  error?: DomainErrorPayload | undefined;
}

/** Runs one statement: the database's, or a transaction's. */
export type Query = Database['query'];

interface Keep extends KeptDecision {
  requestKey: string;
  attempt: number;
}

export class DecisionStore {
  // One insert per decision would be policy's most frequent statement; side by side they go together.
  private readonly keeps = groupCommit<Keep, boolean>((batch) => this.insert(batch));

  private readonly query: Query;

  constructor(private readonly db: Database) {
    this.query = (sql, params) => db.query(sql, params);
  }

  /** The decision this attempt first got, if it was decided (read with `q`, in a transaction, if given). */
  async first(requestKey: string, attempt: number, q: Query = this.query): Promise<KeptDecision | undefined> {
    // Raw SQL: one indexed read of a composite key.
    const [row] = await q<{ decision: unknown; error: unknown }>(
      'select decision, error from policy.first_decisions where request_key = ? and attempt = ?',
      [requestKey, attempt],
    );
    if (!row) return undefined;
    const error = row.error == null ? undefined : DomainErrorPayload.parse(row.error);
    return { decision: DecisionPayload.parse(row.decision), ...(error ? { error } : {}) };
  }

  /**
   * Keeps `kept` as the attempt's decision, unless one is kept already (another replica decided the
   * same attempt at the same time); returns the decision that stands: `kept` itself when it does.
   */
  async keep(requestKey: string, attempt: number, kept: KeptDecision): Promise<KeptDecision> {
    if (await this.keeps.add({ requestKey, attempt, ...kept })) return kept;
    return (await this.first(requestKey, attempt)) ?? kept;
  }

  /**
   * Keeps `kept`, the decision that settles an attempt that was held (its queue wait or approval
   * carried out), in place of the `pending` decision kept while it was held, or as the first if
   * none was kept (the replica that held it died first); returns the decision that stands: `kept`
   * itself, or one already final — another replica's of the same attempt, or an earlier settling
   * of it whose queue entry a crash left waiting.
   */
  async settle(requestKey: string, attempt: number, kept: KeptDecision, q: Query = this.query): Promise<KeptDecision> {
    // Raw SQL: an insert that, on a decision kept already, replaces it only while it is `pending`.
    // The conflict waits for a keep still being written and then reads the row it committed.
    // Retention counts from the settling: a run may wait in its queue longer than it.
    const won = await q(
      `insert into policy.first_decisions (request_key, attempt, decision, error) values (?, ?, ?::jsonb, ?::jsonb)
       on conflict (request_key, attempt) do update set decision = excluded.decision, error = excluded.error, decided_at = now()
        where policy.first_decisions.decision->>'verdict' = 'pending'
       returning 1`,
      [requestKey, attempt, JSON.stringify(kept.decision), kept.error === undefined ? null : JSON.stringify(kept.error)],
    );
    if (won.length > 0) return kept;
    return (await this.first(requestKey, attempt, q)) ?? kept;
  }

  private async insert(batch: readonly Keep[]): Promise<boolean[]> {
    // Of two keeps of one attempt in a batch only the first is written; the second finds it.
    const keyOf = (k: Keep) => `${k.requestKey}#${k.attempt}`;
    const firsts = new Map<string, Keep>();
    for (const k of batch) if (!firsts.has(keyOf(k))) firsts.set(keyOf(k), k);
    const rows = [...firsts.values()].map((k) => ({
      request_key: k.requestKey,
      attempt: k.attempt,
      decision: k.decision,
      error: k.error ?? null,
    }));
    // Raw SQL: `on conflict do nothing` over a batch passed as one jsonb array.
    const inserted = await this.db.query<{ request_key: string; attempt: number }>(
      `insert into policy.first_decisions (request_key, attempt, decision, error)
       select r.request_key, r.attempt, r.decision, r.error
         from jsonb_to_recordset(?::jsonb) as r(request_key text, attempt int, decision jsonb, error jsonb)
       on conflict do nothing returning request_key, attempt`,
      [JSON.stringify(rows)],
    );
    const won = new Set(inserted.map((r) => `${r.request_key}#${r.attempt}`));
    return batch.map((k) => won.has(keyOf(k)) && firsts.get(keyOf(k)) === k);
  }
}
