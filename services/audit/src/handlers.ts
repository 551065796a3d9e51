import {
  decisionDedupId,
  dedupIds,
  type DecisionMessage,
  type KubeObject,
  type OutcomeMessage,
  type RunStatusMessage,
} from '@jangar/contracts';
import { activeTraceId, groupCommit, type GroupCommit } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import type { TxQuery } from './events.js';
import type { AuditWriter } from './group-commit.js';
import { redact } from './redact.js';

/**
 * One audit event per request outcome (who asked for what, what policy said, what happened) and,
 * for an applied one, the spec revision it produced — in one transaction, so both land or neither.
 */
export async function recordOutcome(writer: AuditWriter, m: OutcomeMessage): Promise<void> {
  const o = m.payload;
  const resource = o.result === 'applied' ? o.resource : undefined;
  // A delete leaves no new revision: the last one stays the spec the resource had.
  const revision = resource && o.verb !== 'delete' ? (q: TxQuery) => recordRevision(q, m, o.kind, o.id, resource) : undefined;
  await writer.append(
    {
      dedupId: dedupIds.outcome(m.requestKey, m.attempt),
      occurredAt: m.occurredAt,
      actor: m.principal.subject,
      action: `${o.kind.toLowerCase()}.${o.verb}`,
      resourceKind: o.kind,
      namespace: m.namespace,
      name: resource?.metadata.name ?? null,
      uid: resource?.metadata.uid ?? null,
      resourceId: o.id,
      deliveryId: m.deliveryId,
      correlationId: m.correlationId,
      traceId: activeTraceId() ?? null,
      decision: o.result === 'rejected' && o.error.code === 'policy_denied' ? 'deny' : o.result === 'applied' ? 'allow' : null,
      outcome: o.result === 'applied' ? (o.created ? 'created' : 'applied') : `rejected:${o.error.code}`,
      summary: o.result === 'applied' ? { spec: redact(resource?.spec), labels: resource?.metadata.labels ?? {} } : { error: o.error },
    },
    revision,
  );
}

async function recordRevision(q: TxQuery, m: OutcomeMessage, kind: string, id: string, resource: KubeObject): Promise<void> {
  // Raw SQL: it runs inside the group commit's transaction, and `on conflict do nothing` is the exactly-once step.
  await q(
    `insert into audit.revisions (dedup_id, kind, namespace, name, uid, resource_id, generation, resource_version, spec, labels, actor, delivery_id, occurred_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?) on conflict do nothing`,
    [
      dedupIds.outcome(m.requestKey, m.attempt),
      kind,
      resource.metadata.namespace,
      resource.metadata.name,
      resource.metadata.uid,
      id,
      resource.metadata.generation ?? 1,
      resource.metadata.resourceVersion,
      JSON.stringify(redact(resource.spec ?? {})),
      JSON.stringify(resource.metadata.labels ?? {}),
      m.principal.subject,
      m.deliveryId,
      m.occurredAt,
    ],
  );
}

/** Every policy decision, once. */
export async function recordDecision(db: Database, m: DecisionMessage): Promise<void> {
  const d = m.payload;
  // Raw SQL: `on conflict (dedup_id) do nothing` turns a redelivery into a no-op in one statement.
  await db.query(
    `insert into audit.policy_decisions (dedup_id, request_key, delivery_id, correlation_id, actor, kind, verb, namespace, resource_id, verdict, mode,
       violations, policy_version, trace_id, decided_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?) on conflict (dedup_id) do nothing`,
    [
      decisionDedupId(m),
      m.requestKey,
      m.deliveryId,
      m.correlationId,
      m.principal.subject,
      d.request.kind,
      d.request.verb,
      m.namespace,
      d.request.id,
      d.verdict,
      d.mode,
      JSON.stringify(d.violations),
      d.policyVersion,
      activeTraceId() ?? null,
      d.evaluatedAt,
    ],
  );
}

/** One row of `audit.run_history`, as the batched insert reads it from JSON. */
interface RunHistoryRow {
  dedup_id: string;
  run_id: string;
  uid: string;
  type: string;
  namespace: string;
  name: string;
  phase: string;
  previous_phase: string | null;
  reason: string | null;
  message: string | null;
  resource_version: string;
  conditions: unknown;
  observed_at: string;
  correlation_id: string | null;
  parent_type: string | null;
  parent_name: string | null;
}

/**
 * Run history rows written in group commits: a run's life is four status messages or so, and
 * one insert each was most of the audit service's statements. A batch is one insert of many
 * rows; `on conflict (dedup_id) do nothing` still turns a redelivery (even within a batch) into a no-op.
 */
export function runHistoryWriter(db: Database): GroupCommit<RunHistoryRow> {
  return groupCommit<RunHistoryRow>(async (rows) => {
    // Raw SQL: the rows travel as one JSON array; the query builder would bind every value separately.
    await db.query(
      `insert into audit.run_history (dedup_id, run_id, uid, type, namespace, name, phase, previous_phase, reason, message, resource_version, conditions,
         observed_at, correlation_id, parent_type, parent_name)
       select dedup_id, run_id, uid, type, namespace, name, phase, previous_phase, reason, message, resource_version, conditions,
         observed_at, correlation_id, parent_type, parent_name
       from jsonb_to_recordset(?::jsonb) as r(dedup_id text, run_id text, uid text, type text, namespace text, name text, phase text,
         previous_phase text, reason text, message text, resource_version text, conditions jsonb, observed_at timestamptz,
         correlation_id text, parent_type text, parent_name text)
       on conflict (dedup_id) do nothing`,
      [JSON.stringify(rows)],
    );
  });
}

/** Every observed status transition of a run, once per resourceVersion, with its correlation id and parent run. */
export async function recordRunStatus(history: GroupCommit<RunHistoryRow>, m: RunStatusMessage): Promise<void> {
  const run = m.payload.run;
  const latest = [...run.conditions].sort((a, b) => (a.lastTransitionTime ?? '').localeCompare(b.lastTransitionTime ?? '')).at(-1);
  await history.add({
    dedup_id: dedupIds.runStatus(run.uid, run.resourceVersion),
    run_id: run.id,
    uid: run.uid,
    type: run.type,
    namespace: run.namespace,
    name: run.name,
    phase: run.phase,
    previous_phase: m.payload.previousPhase ?? null,
    reason: latest?.reason ?? null,
    message: latest?.message ?? null,
    resource_version: run.resourceVersion,
    conditions: run.conditions,
    observed_at: m.occurredAt,
    correlation_id: run.correlationId ?? null,
    parent_type: run.parent?.type ?? null,
    parent_name: run.parent?.name ?? null,
  });
}
