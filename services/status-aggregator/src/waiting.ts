/**
 * Runs that waited before they existed — in a queue for a limit, or for an approver — and those
 * refused after waiting, so `GET /v1/runs` lists them as `GET /v1/runs/{id}` reads them. They come
 * from the policy's `pending` decisions and the creates' outcomes; a run refused at once (a rule
 * denies it) never waited and is not listed, as Kubernetes lists no object its admission refused.
 * A run that comes to exist is listed from `status.runs`; its row here is hidden, then purged.
 */
import {
  holdConditions,
  refusalState,
  RETRYABLE_CODES,
  RunType,
  uncreatedRunView,
  type DecisionMessage,
  type ErrorCode,
  type OutcomeMessage,
} from '@jangar/contracts';
import { deleteInBatches, type Database } from '@jangar/service-kit/db';

/** Writes the waiting runs; each write names the time of its event, and an older event never overwrites a newer one. */
export class WaitingRunStore {
  constructor(private readonly db: Database) {}

  /** Records a run a `pending` decision holds, queued or awaiting approval; false when the decision holds no run's create. */
  async hold(m: DecisionMessage): Promise<boolean> {
    const { request } = m.payload;
    const type = RunType.safeParse(request.kind);
    const conditions = holdConditions(m.payload);
    if (request.verb !== 'create' || !type.success || !conditions) return false;
    const run = uncreatedRunView(
      { ...request, kind: type.data },
      { deliveryId: m.deliveryId, correlationId: m.correlationId },
      { phase: 'Pending', conditions, createdAt: m.occurredAt },
    );
    // Raw SQL: a conditional upsert that keeps the first createdAt of a listed row, in the row and in
    // its view. The name and labels are set too: a row a refusal left knows neither, and a selector reads them.
    await this.db.query(
      `insert into status.waiting_runs (id, type, namespace, name, phase, labels, run, created_at, observed_at)
       values (?, ?, ?, ?, 'Pending', ?::jsonb, ?::jsonb, ?::timestamptz, ?::timestamptz)
       on conflict (id) do update set phase = excluded.phase, name = excluded.name, labels = excluded.labels,
         run = case when waiting_runs.listed then jsonb_set(excluded.run, '{createdAt}', waiting_runs.run->'createdAt') else excluded.run end,
         created_at = case when waiting_runs.listed then waiting_runs.created_at else excluded.created_at end,
         observed_at = excluded.observed_at, listed = true, updated_at = now()
       where waiting_runs.observed_at < excluded.observed_at`,
      [run.id, run.type, run.namespace, run.name, JSON.stringify(run.labels), JSON.stringify(run), run.createdAt, m.occurredAt],
    );
    return true;
  }

  /**
   * Records how the create of a run that waited was refused: `Failed`, or `Cancelled` when a delete
   * took it out of its wait. A retryable refusal (a limit, with no queue to wait in) leaves no run
   * behind — a retry is a new attempt — so the row goes from the lists. A refusal with no listed row
   * to end (the run never waited, or the decision that held it has not been processed yet) leaves
   * an unlisted row at its time, which that older decision cannot overwrite.
   */
  async refuse(m: OutcomeMessage): Promise<boolean> {
    const outcome = m.payload;
    if (outcome.result !== 'rejected' || outcome.verb !== 'create' || !RunType.safeParse(outcome.kind).success) return false;
    const { code, detail, violations } = outcome.error;
    // Raw SQL here and below: conditional writes that never overwrite a newer event.
    const retryable = RETRYABLE_CODES.includes(code as ErrorCode);
    const state = refusalState(code, detail, violations);
    const phase = state.phase === 'Cancelled' ? 'Cancelled' : 'Failed';
    const conditions = state.conditions.map((c) => ({ ...c, lastTransitionTime: c.lastTransitionTime ?? m.occurredAt }));
    // The hold and the refusal come through two consumers and may be written at the same moment:
    // a hold committed between the update and the insert makes the insert a no-op on a listed row,
    // so the update is tried once more, and then ends that row.
    for (let tries = 0; tries < 2; tries++) {
      const ended = await this.db.query(
        `update status.waiting_runs set phase = ?, run = run || ?::jsonb, observed_at = ?::timestamptz, listed = ?, updated_at = now()
          where id = ? and listed and observed_at < ?::timestamptz returning id`,
        [phase, JSON.stringify({ phase, conditions, updatedAt: m.occurredAt }), m.occurredAt, !retryable, outcome.id, m.occurredAt],
      );
      if (ended.length > 0) return !retryable;
      const kept = await this.db.query(
        `insert into status.waiting_runs (id, type, namespace, name, phase, run, created_at, observed_at, listed)
         values (?, ?, ?, '', ?, '{}'::jsonb, ?::timestamptz, ?::timestamptz, false)
         on conflict (id) do update set observed_at = excluded.observed_at, updated_at = now()
         where not waiting_runs.listed and waiting_runs.observed_at < excluded.observed_at
         returning id`,
        [outcome.id, outcome.kind, m.namespace, phase, m.occurredAt, m.occurredAt],
      );
      if (kept.length > 0) return false;
    }
    return false;
  }

  /**
   * Deletes the rows of runs that exist now (the lists read them from `status.runs`), and unlisted
   * rows a day old (no decision comes that late); returns how many.
   */
  async purgeCreated(): Promise<number> {
    const created = await deleteInBatches(
      this.db,
      'delete from status.waiting_runs where id in (select w.id from status.waiting_runs w join status.runs r on r.id = w.id limit ?)',
      [],
    );
    const unlisted = await deleteInBatches(
      this.db,
      `delete from status.waiting_runs where id in (
         select id from status.waiting_runs where not listed and observed_at < now() - interval '1 day' limit ?)`,
      [],
    );
    return created + unlisted;
  }
}
