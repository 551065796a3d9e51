import type { AuditEventView, AuditQuery, ChainVerification, Correlation, Revisions, RunHistory, RunType } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import { chainHash, GENESIS_HASH } from './chain.js';

interface EventRow {
  seq: string;
  id: string;
  dedup_id: string;
  occurred_at: Date | string;
  actor: string;
  action: string;
  resource_kind: string;
  namespace: string;
  name: string | null;
  uid: string | null;
  resource_id: string | null;
  delivery_id: string;
  correlation_id: string;
  trace_id: string | null;
  decision: string | null;
  outcome: string;
  summary: unknown;
  prev_hash: string;
  hash: string;
}

const optional = <T>(v: T | null) => (v === null ? undefined : v);

/** Timestamps arrive as Date or as Postgres text, depending on the driver's type parsers. */
const iso = (v: Date | string) => new Date(v).toISOString();

function toView(r: EventRow): AuditEventView {
  return {
    seq: Number(r.seq),
    id: r.id,
    occurredAt: iso(r.occurred_at),
    actor: r.actor,
    action: r.action,
    resource: { kind: r.resource_kind, namespace: r.namespace, name: optional(r.name), uid: optional(r.uid), id: optional(r.resource_id) },
    deliveryId: r.delivery_id,
    correlationId: r.correlation_id,
    traceId: optional(r.trace_id),
    decision: optional(r.decision),
    outcome: r.outcome,
    summary: r.summary,
    hash: r.hash,
    prevHash: r.prev_hash,
  };
}

/** SQL conditions restricting rows to the caller's namespaces. */
function scope(namespaces: readonly string[], where: string[], params: unknown[]): void {
  if (namespaces.includes('*')) return;
  // Knex expands a bound array into a list, so the set travels as one JSON value.
  where.push('namespace in (select jsonb_array_elements_text(?::jsonb))');
  params.push(JSON.stringify(namespaces));
}

const encodeCursor = (seq: number) => Buffer.from(JSON.stringify({ seq })).toString('base64url');
function decodeCursor(token: string): number {
  try {
    const { seq } = JSON.parse(Buffer.from(token, 'base64url').toString()) as { seq: unknown };
    if (typeof seq === 'number' && Number.isInteger(seq)) return seq;
  } catch {
    // fall through to the domain error
  }
  throw new DomainError('validation_failed', 'the continue token is not valid', {
    errors: [{ path: 'continue', message: 'not a token this API returned' }],
  });
}

/** Audit events, newest first, filtered and paged by sequence number (stable under concurrent appends). */
export async function listEvents(db: Database, q: AuditQuery): Promise<{ items: AuditEventView[]; continue?: string }> {
  const where: string[] = [];
  const params: unknown[] = [];
  scope(q.namespaces, where, params);
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    params.push(value);
  };
  eq('namespace', q.namespace);
  eq('actor', q.actor);
  eq('action', q.action);
  if (q.resource) {
    const parts = q.resource.split('/');
    if (/^[0-9a-f-]{36}$/i.test(q.resource)) eq('resource_id', q.resource);
    else if (parts.length === 3) {
      eq('resource_kind', parts[0]);
      eq('namespace', parts[1]);
      eq('name', parts[2]);
    } else eq('resource_kind', q.resource);
  }
  if (q.since) {
    where.push('occurred_at >= ?');
    params.push(q.since);
  }
  if (q.until) {
    where.push('occurred_at < ?');
    params.push(q.until);
  }
  if (q.continue) {
    where.push('seq < ?');
    params.push(decodeCursor(q.continue));
  }
  const rows = await db.query<EventRow>(
    `select * from audit.audit_events ${where.length ? `where ${where.join(' and ')}` : ''} order by seq desc limit ?`,
    [...params, q.limit + 1],
  );
  const items = rows.slice(0, q.limit).map(toView);
  const more = rows.length > q.limit;
  return { items, ...(more ? { continue: encodeCursor(items.at(-1)!.seq) } : {}) };
}

/** Walks the whole chain in order and reports the first row whose content or link does not match. */
export async function verifyChain(db: Database, batch = 1000): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let after = 0;
  let checked = 0;
  for (;;) {
    const rows = await db.query<EventRow>('select * from audit.audit_events where seq > ? order by seq limit ?', [after, batch]);
    for (const r of rows) {
      const seq = Number(r.seq);
      if (r.prev_hash !== prevHash) {
        return {
          intact: false,
          checked,
          firstBroken: {
            seq,
            id: r.id,
            reason: 'chain_broken',
            detail: `prev_hash does not match the hash of the row before (seq ${after})`,
          },
        };
      }
      const expected = chainHash(prevHash, {
        id: r.id,
        dedupId: r.dedup_id,
        occurredAt: iso(r.occurred_at),
        actor: r.actor,
        action: r.action,
        resourceKind: r.resource_kind,
        namespace: r.namespace,
        name: r.name,
        uid: r.uid,
        resourceId: r.resource_id,
        deliveryId: r.delivery_id,
        correlationId: r.correlation_id,
        traceId: r.trace_id,
        decision: r.decision,
        outcome: r.outcome,
        summary: r.summary,
      });
      if (expected !== r.hash) {
        return {
          intact: false,
          checked,
          firstBroken: { seq, id: r.id, reason: 'content_changed', detail: 'the row no longer matches its hash' },
        };
      }
      prevHash = r.hash;
      after = seq;
      checked++;
    }
    if (rows.length < batch) return { intact: true, checked };
  }
}

/** Every recorded status transition of one run, oldest first. */
export async function runHistory(db: Database, id: string): Promise<RunHistory> {
  const rows = await db.query<{
    run_id: string;
    namespace: string;
    type: string;
    name: string;
    phase: string;
    previous_phase: string | null;
    reason: string | null;
    message: string | null;
    resource_version: string;
    conditions: unknown[];
    observed_at: Date | string;
  }>('select * from audit.run_history where run_id = ? or uid = ? order by observed_at, recorded_at', [id, id]);
  const first = rows[0];
  if (!first) throw new DomainError('not_found', `no history for run "${id}"`);
  return {
    id: first.run_id,
    namespace: first.namespace,
    type: first.type,
    name: first.name,
    items: rows.map((r) => ({
      phase: r.phase,
      previousPhase: optional(r.previous_phase),
      reason: optional(r.reason),
      message: optional(r.message),
      resourceVersion: r.resource_version,
      conditions: r.conditions,
      observedAt: iso(r.observed_at),
    })),
  };
}

/**
 * Every request and run that shares a correlation id, within the caller's namespaces: the requests
 * that carried it, the runs they created, and every run whose history carries it (the runs an
 * orchestration started), each run once with its latest recorded phase.
 */
export async function correlation(db: Database, q: { correlationId: string; namespaces: string[] }): Promise<Correlation> {
  const where = ['correlation_id = ?'];
  const params: unknown[] = [q.correlationId];
  scope(q.namespaces, where, params);
  const rows = await db.query<EventRow>(`select * from audit.audit_events where ${where.join(' and ')} order by seq`, params);
  const requests = rows.map(toView);
  const runIds = [...new Set(rows.filter((r) => r.resource_kind.endsWith('Run') && r.resource_id).map((r) => r.resource_id as string))];
  const runWhere = ['(run_id in (select jsonb_array_elements_text(?::jsonb)) or correlation_id = ?)'];
  const runParams: unknown[] = [JSON.stringify(runIds), q.correlationId];
  scope(q.namespaces, runWhere, runParams);
  const latest = await db.query<{
    run_id: string;
    type: string;
    namespace: string;
    name: string;
    phase: string;
    parent_type: string | null;
    parent_name: string | null;
    first_seen: Date | string;
  }>(
    `select * from (
       select distinct on (run_id) run_id, type, namespace, name, phase, parent_type, parent_name,
         min(observed_at) over (partition by run_id) as first_seen
       from audit.run_history where ${runWhere.join(' and ')}
       order by run_id, observed_at desc, recorded_at desc
     ) latest order by first_seen, run_id`,
    runParams,
  );
  return {
    correlationId: q.correlationId,
    requests,
    runs: latest.map((r) => ({
      id: r.run_id,
      type: r.type,
      namespace: r.namespace,
      name: r.name,
      phase: r.phase,
      ...(r.parent_type && r.parent_name ? { parent: { type: r.parent_type as RunType, name: r.parent_name } } : {}),
    })),
  };
}

/** Every recorded spec revision of one primitive, oldest first. */
export async function revisions(db: Database, q: { kind: string; namespace: string; name: string }): Promise<Revisions> {
  const rows = await db.query<{
    generation: number;
    resource_version: string;
    spec: unknown;
    labels: Record<string, string>;
    actor: string;
    delivery_id: string;
    occurred_at: Date | string;
  }>('select * from audit.revisions where kind = ? and namespace = ? and name = ? order by generation, occurred_at', [
    q.kind,
    q.namespace,
    q.name,
  ]);
  if (rows.length === 0) throw new DomainError('not_found', `no revisions of ${q.kind} ${q.namespace}/${q.name}`);
  return {
    ...q,
    items: rows.map((r) => ({
      generation: r.generation,
      resourceVersion: r.resource_version,
      spec: r.spec,
      labels: r.labels,
      actor: r.actor,
      deliveryId: r.delivery_id,
      occurredAt: iso(r.occurred_at),
    })),
  };
}
