import type {
  AuditEventView,
  AuditQuery,
  ChainVerification,
  Correlation,
  CorrelationQuery,
  Revisions,
  RevisionsQuery,
  RunHistory,
  RunHistoryQuery,
  RunType,
  VerifyFilter,
} from '@jangar/contracts';
import { z } from 'zod';
import { continueToken, cursorInstant, cursorInstantSql, DomainError } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import type { FilterQuery } from '@mikro-orm/core';
import { chainHash, GENESIS_HASH } from './chain.js';
import type { RunHistoryRow } from './handlers.js';
import { AuditEvent } from './entities/index.js';

const optional = <T>(v: T | null | undefined) => (v === null ? undefined : v);

/** Timestamps arrive as Date or as Postgres text, depending on the driver's type parsers. */
const iso = (v: Date | string) => new Date(v).toISOString();

function toView(e: AuditEvent): AuditEventView {
  return {
    seq: Number(e.seq),
    id: e.id,
    occurredAt: iso(e.occurredAt),
    actor: e.actor,
    action: e.action,
    resource: { kind: e.resourceKind, namespace: e.namespace, name: optional(e.name), uid: optional(e.uid), id: optional(e.resourceId) },
    deliveryId: e.deliveryId,
    correlationId: e.correlationId,
    traceId: optional(e.traceId),
    decision: optional(e.decision),
    outcome: e.outcome,
    summary: e.summary,
    hash: e.hash,
    prevHash: e.prevHash,
  };
}

/** The condition restricting events to the caller's namespaces, if they are not all of them. */
const inScope = (namespaces: readonly string[]): FilterQuery<AuditEvent>[] =>
  namespaces.includes('*') ? [] : [{ namespace: { $in: [...namespaces] } }];

/** SQL conditions restricting rows (their `column`) to the caller's namespaces. */
function scope(namespaces: readonly string[], where: string[], params: unknown[], column = 'namespace'): void {
  if (namespaces.includes('*')) return;
  // Knex expands a bound array into a list, so the set travels as one JSON value.
  where.push(`${column} in (select jsonb_array_elements_text(?::jsonb))`);
  params.push(JSON.stringify(namespaces));
}

/** Where a page ended: the sequence number of its last event (stable under concurrent appends). */
const cursor = continueToken(z.object({ seq: z.number().int() }));

/** Audit events, newest first, filtered and paged by sequence number (stable under concurrent appends). */
export async function listEvents(db: Database, q: AuditQuery): Promise<{ items: AuditEventView[]; continue?: string }> {
  // A list of conditions, not one object: `resource=Kind/ns/name` and `namespace=` may both constrain the namespace.
  const where: FilterQuery<AuditEvent>[] = inScope(q.namespaces);
  if (q.namespace !== undefined) where.push({ namespace: q.namespace });
  if (q.actor !== undefined) where.push({ actor: q.actor });
  if (q.action !== undefined) where.push({ action: q.action });
  if (q.resource) {
    const parts = q.resource.split('/');
    if (/^[0-9a-f-]{36}$/i.test(q.resource)) where.push({ resourceId: q.resource });
    else if (parts.length === 3) where.push({ resourceKind: parts[0], namespace: parts[1], name: parts[2] });
    else where.push({ resourceKind: q.resource });
  }
  if (q.since) where.push({ occurredAt: { $gte: q.since } });
  if (q.until) where.push({ occurredAt: { $lt: q.until } });
  if (q.continue) where.push({ seq: { $lt: String(cursor.decode(q.continue).seq) } });
  const rows = await db.withEm((em) => em.find(AuditEvent, { $and: where }, { orderBy: { seq: 'desc' }, limit: q.limit + 1 }));
  const items = rows.slice(0, q.limit).map(toView);
  const more = rows.length > q.limit;
  return { items, ...(more ? { continue: cursor.encode({ seq: items.at(-1)!.seq }) } : {}) };
}

/** The hash a row's content and stored prev_hash give, to compare with its stored hash. */
function rowHash(prevHash: string, r: AuditEvent): string {
  return chainHash(prevHash, {
    id: r.id,
    dedupId: r.dedupId,
    occurredAt: iso(r.occurredAt),
    actor: r.actor,
    action: r.action,
    resourceKind: r.resourceKind,
    namespace: r.namespace,
    name: r.name ?? null,
    uid: r.uid ?? null,
    resourceId: r.resourceId ?? null,
    deliveryId: r.deliveryId,
    correlationId: r.correlationId,
    traceId: r.traceId ?? null,
    decision: r.decision ?? null,
    outcome: r.outcome,
    summary: r.summary,
  });
}

/**
 * Where a verification page ended: the last verified event's seq, id and hash. The next page
 * re-reads that row and resumes only if its hash is still this one, so a row changed between pages
 * is caught, and a token cannot vouch for a chain it did not walk: a made-up hash fails to match.
 */
const verifyCursor = continueToken(
  z.object({ seq: z.number().int().positive(), id: z.string().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/) }),
);

/**
 * How long one page may walk before it hands back a token, whatever its `limit`. The gateway's RPC
 * call gives up after 5 s, and the walk's speed depends on the machine and on Postgres (15-20k
 * events/s on a busy 2-core box: 50k events would take 3 s there). The budget is checked between
 * batches, so a page can overrun it by one batch, and the answer must still arrive when the service
 * is busy: 2 s leaves that margin, and at that speed still walks 10^5 events in a handful of calls.
 */
export const VERIFY_BUDGET_MS = 2_000;

/** Paging knobs of {@link verifyChain}, for tests: rows per read and the page's time budget. */
export interface VerifyOptions {
  batch?: number;
  budgetMs?: number;
}

/**
 * Walks the chain in order from the start or from a `continue` token, at most `limit` events or
 * {@link VERIFY_BUDGET_MS}, and reports the first row whose content or link does not match.
 */
export async function verifyChain(db: Database, q: VerifyFilter, opts: VerifyOptions = {}): Promise<ChainVerification> {
  const batch = opts.batch ?? 1000;
  const budgetMs = opts.budgetMs ?? VERIFY_BUDGET_MS;
  const started = performance.now();
  let prevHash = GENESIS_HASH;
  let after = 0;
  let afterId = '';
  let checked = 0;
  const broken = (firstBroken: NonNullable<ChainVerification['firstBroken']>): ChainVerification => ({
    intact: false,
    checked,
    firstBroken,
    ...(after > 0 ? { verifiedThrough: after } : {}),
  });
  if (q.continue !== undefined) {
    const from = verifyCursor.decode(q.continue);
    // The token's row and the one before it: the resumed walk vouches for that row's content and
    // link too, so even a token built from hashes the event list shows cannot step over a break there.
    const [row, before] = await db.withEm((em) =>
      em.find(AuditEvent, { seq: { $lte: String(from.seq) } }, { orderBy: { seq: 'desc' }, limit: 2 }),
    );
    // A deleted row leaves its successor's prev_hash intact; only its absence shows it was there.
    if (!row || Number(row.seq) !== from.seq)
      return broken({
        seq: from.seq,
        id: from.id,
        reason: 'chain_broken',
        detail: `the event at seq ${from.seq}, where the previous page ended, is gone`,
      });
    if (row.hash !== from.hash || rowHash(row.prevHash, row) !== row.hash)
      return broken({
        seq: from.seq,
        id: row.id,
        reason: 'content_changed',
        detail:
          'the event where the previous page ended no longer matches the hash that page verified (or the token was not handed out for it)',
      });
    if (row.prevHash !== (before?.hash ?? GENESIS_HASH))
      return broken({
        seq: from.seq,
        id: row.id,
        reason: 'chain_broken',
        detail: `prev_hash does not match the hash of the row before${before ? ` (seq ${Number(before.seq)})` : ''}`,
      });
    prevHash = row.hash;
    after = from.seq;
    afterId = row.id;
  }
  for (;;) {
    const want = Math.min(batch, q.limit - checked);
    // One row past what this batch checks tells whether the chain goes on; a fresh entity manager
    // per batch keeps the walk from holding every row it has checked in memory.
    const rows = await db.withEm((em) =>
      em.find(AuditEvent, { seq: { $gt: String(after) } }, { orderBy: { seq: 'asc' }, limit: want + 1 }),
    );
    for (const r of rows.slice(0, want)) {
      const seq = Number(r.seq);
      if (r.prevHash !== prevHash) {
        return broken({
          seq,
          id: r.id,
          reason: 'chain_broken',
          detail: `prev_hash does not match the hash of the row before (seq ${after})`,
        });
      }
      if (rowHash(prevHash, r) !== r.hash) {
        return broken({ seq, id: r.id, reason: 'content_changed', detail: 'the row no longer matches its hash' });
      }
      prevHash = r.hash;
      after = seq;
      afterId = r.id;
      checked++;
    }
    if (rows.length <= want) return { intact: true, checked, ...(after > 0 ? { verifiedThrough: after } : {}) };
    if (checked >= q.limit || performance.now() - started >= budgetMs) {
      return {
        intact: true,
        checked,
        verifiedThrough: after,
        continue: verifyCursor.encode({ seq: after, id: afterId, hash: prevHash }),
      };
    }
  }
}

/** Where a history page ended: the observed and recorded times (to the microsecond) and dedup id of its last transition. */
const historyCursor = continueToken(z.object({ at: cursorInstant, rec: cursorInstant, d: z.string() }));

/** Every recorded status transition of one run (by Jangar id or uid), oldest first, keyset-paged. */
export async function runHistory(db: Database, q: RunHistoryQuery): Promise<RunHistory> {
  const where = ['(run_id = ? or uid = ?)'];
  const params: unknown[] = [q.id, q.id];
  if (q.continue !== undefined) {
    const after = historyCursor.decode(q.continue);
    where.push('(observed_at, recorded_at, dedup_id) > (?::timestamptz, ?::timestamptz, ?)');
    params.push(after.at, after.rec, after.d);
  }
  // Raw SQL: a row-value keyset cursor, and the times at the microsecond the cursor needs.
  const rows = await db.query<
    Omit<RunHistoryRow, 'observed_at' | 'conditions'> & { conditions: unknown[]; observed_at: Date; at_key: string; rec_key: string }
  >(
    `select run_id, namespace, type, name, phase, previous_phase, reason, message, resource_version, conditions, observed_at, dedup_id,
            ${cursorInstantSql('observed_at')} as at_key, ${cursorInstantSql('recorded_at')} as rec_key
       from audit.run_history where ${where.join(' and ')}
      order by observed_at, recorded_at, dedup_id limit ?`,
    [...params, q.limit + 1],
  );
  const first = rows[0];
  if (!first) throw new DomainError('not_found', `no history for run "${q.id}"`);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1)!;
  return {
    id: first.run_id,
    namespace: first.namespace,
    type: first.type,
    name: first.name,
    items: page.map((r) => ({
      phase: r.phase,
      previousPhase: optional(r.previous_phase),
      reason: optional(r.reason),
      message: optional(r.message),
      resourceVersion: r.resource_version,
      conditions: r.conditions,
      observedAt: iso(r.observed_at),
    })),
    ...(rows.length > q.limit ? { continue: historyCursor.encode({ at: last.at_key, rec: last.rec_key, d: last.dedup_id }) } : {}),
  };
}

/**
 * Where a correlation page ended, per list: the last request's seq and the last run's membership
 * seq (`audit.correlation_runs`); null once that list is done.
 */
const correlationCursor = continueToken(
  z.object({
    seq: z.number().int().nullable(),
    run: z.number().int().nullable(),
  }),
);

/**
 * Every request and run that shares a correlation id, within the caller's namespaces: the requests
 * that carried it, the runs they created, and every run whose history carries it (the runs an
 * orchestration started), each run once with its latest recorded phase. Both lists are keyset-paged
 * together: a page holds up to `limit` of each, and its token resumes whichever are not done.
 */
export async function correlation(db: Database, q: CorrelationQuery): Promise<Correlation> {
  const from = q.continue === undefined ? { seq: 0, run: 0 } : correlationCursor.decode(q.continue);
  const requestRows =
    from.seq === null
      ? []
      : await db.withEm((em) =>
          em.find(
            AuditEvent,
            { $and: [{ correlationId: q.correlationId }, { seq: { $gt: String(from.seq) } }, ...inScope(q.namespaces)] },
            { orderBy: { seq: 'asc' }, limit: q.limit + 1 },
          ),
        );
  const requests = requestRows.slice(0, q.limit).map(toView);
  const runRows = from.run === null ? [] : await correlatedRuns(db, q, from.run);
  const runs = runRows.slice(0, q.limit);
  const next = {
    seq: requestRows.length > q.limit ? requests.at(-1)!.seq : null,
    run: runRows.length > q.limit ? Number(runs.at(-1)!.seq) : null,
  };
  return {
    correlationId: q.correlationId,
    ...(next.seq !== null || next.run !== null ? { continue: correlationCursor.encode(next) } : {}),
    requests,
    runs: runs.map((r) => ({
      id: r.run_id,
      type: r.type,
      namespace: r.namespace,
      name: r.name,
      phase: r.phase,
      ...(r.parent_type && r.parent_name ? { parent: { type: r.parent_type as RunType, name: r.parent_name } } : {}),
    })),
  };
}

/**
 * Up to `limit + 1` correlated runs after membership seq `after`, in the order audit recorded them
 * as members, each with its latest transition. A run recorded after a walk passed its place is
 * numbered after it, so the walk reaches it; a member with no history yet (only its request was
 * recorded) is left out until its history arrives, which renumbers it.
 */
async function correlatedRuns(db: Database, q: CorrelationQuery, after: number) {
  const where = ['m.correlation_id = ?', 'm.seq > ?'];
  const params: unknown[] = [q.correlationId, after];
  scope(q.namespaces, where, params, 'm.namespace');
  // Raw SQL: each member's latest transition is a lateral `limit 1`, which the ORM cannot say. It is
  // the member's namespace's, the one the caller's scope was checked against: another namespace's
  // run of the same id is not this one. run_history_latest serves it (namespace is a filter on the
  // few transitions of one run id).
  return db.query<{
    seq: string;
    run_id: string;
    type: string;
    namespace: string;
    name: string;
    phase: string;
    parent_type: string | null;
    parent_name: string | null;
  }>(
    `select m.seq, m.run_id, h.type, h.namespace, h.name, h.phase, h.parent_type, h.parent_name
     from audit.correlation_runs m
     cross join lateral (
       select type, namespace, name, phase, parent_type, parent_name from audit.run_history
       where run_id = m.run_id and namespace = m.namespace order by observed_at desc, recorded_at desc limit 1
     ) h
     where ${where.join(' and ')} order by m.seq limit ?`,
    [...params, q.limit + 1],
  );
}

/** Where a revisions page ended: the time (to the microsecond), generation and dedup id of its last revision. */
const revisionCursor = continueToken(z.object({ g: z.number().int(), at: cursorInstant, d: z.string() }));

/**
 * Every recorded spec revision of one primitive, oldest first, keyset-paged on (time, generation,
 * dedup id). By time first: an object deleted and made again under the name numbers its
 * generations from 1 again, and by generation the two objects' revisions would interleave.
 */
export async function revisions(db: Database, q: RevisionsQuery): Promise<Revisions> {
  const where = ['kind = ?', 'namespace = ?', 'name = ?'];
  const params: unknown[] = [q.kind, q.namespace, q.name];
  if (q.continue !== undefined) {
    const after = revisionCursor.decode(q.continue);
    where.push('(occurred_at, generation, dedup_id) > (?::timestamptz, ?, ?)');
    params.push(after.at, after.g, after.d);
  }
  // Raw SQL: a row-value keyset cursor, and the time at the microsecond the cursor needs.
  const rows = await db.query<{
    generation: number;
    resource_version: string;
    spec: unknown;
    labels: Record<string, string>;
    actor: string;
    delivery_id: string;
    occurred_at: Date;
    dedup_id: string;
    at_key: string;
  }>(
    `select generation, resource_version, spec, labels, actor, delivery_id, occurred_at, dedup_id,
            ${cursorInstantSql('occurred_at')} as at_key
       from audit.revisions where ${where.join(' and ')}
      order by occurred_at, generation, dedup_id limit ?`,
    [...params, q.limit + 1],
  );
  if (rows.length === 0 && q.continue === undefined)
    throw new DomainError('not_found', `no revisions of ${q.kind} ${q.namespace}/${q.name}`);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    kind: q.kind,
    namespace: q.namespace,
    name: q.name,
    items: page.map((r) => ({
      generation: r.generation,
      resourceVersion: r.resource_version,
      spec: r.spec,
      labels: r.labels,
      actor: r.actor,
      deliveryId: r.delivery_id,
      occurredAt: iso(r.occurred_at),
    })),
    ...(rows.length > q.limit && last
      ? { continue: revisionCursor.encode({ g: last.generation, at: last.at_key, d: last.dedup_id }) }
      : {}),
  };
}
