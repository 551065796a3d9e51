import {
  decisionDedupId,
  dedupIds,
  type DecisionMessage,
  type KubeObject,
  type OutcomeMessage,
  type RunStatusMessage,
} from '@jangar/contracts';
import { activeTraceId, type GroupCommit } from '@jangar/service-kit';
import { batchedInsert } from './batched-insert.js';
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
      uid: resource?.metadata.uid || null, // a run cancelled in its queue never had one
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

/** One row of `audit.policy_decisions`. */
interface DecisionRow {
  dedup_id: string;
  request_key: string;
  delivery_id: string;
  correlation_id: string;
  actor: string;
  kind: string;
  verb: string;
  namespace: string;
  resource_id: string;
  verdict: string;
  mode: string;
  violations: unknown;
  policy_version: string;
  trace_id: string | null;
  decided_at: string;
}

/** Policy decisions written in group commits (see {@link batchedInsert}). */
export function decisionWriter(db: Database): GroupCommit<DecisionRow> {
  return batchedInsert<DecisionRow>(db, 'audit.policy_decisions', {
    dedup_id: 'text',
    request_key: 'text',
    delivery_id: 'text',
    correlation_id: 'text',
    actor: 'text',
    kind: 'text',
    verb: 'text',
    namespace: 'text',
    resource_id: 'text',
    verdict: 'text',
    mode: 'text',
    violations: 'jsonb',
    policy_version: 'text',
    trace_id: 'text',
    decided_at: 'timestamptz',
  });
}

/** Every policy decision, once. */
export async function recordDecision(decisions: GroupCommit<DecisionRow>, m: DecisionMessage): Promise<void> {
  const d = m.payload;
  await decisions.add({
    dedup_id: decisionDedupId(m),
    request_key: m.requestKey,
    delivery_id: m.deliveryId,
    correlation_id: m.correlationId,
    actor: m.principal.subject,
    kind: d.request.kind,
    verb: d.request.verb,
    namespace: m.namespace,
    resource_id: d.request.id,
    verdict: d.verdict,
    mode: d.mode,
    violations: d.violations,
    policy_version: d.policyVersion,
    // Read here, in the message's span: the batch is written later, outside it.
    trace_id: activeTraceId() ?? null,
    decided_at: d.evaluatedAt,
  });
}

/** One row of `audit.run_history`, as written (times as ISO text). */
export interface RunHistoryRow {
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
 * Run history rows written in group commits: a run's life is four status messages or so. The
 * insert's trigger (migration 0204) numbers each run it correlates into `audit.correlation_runs`.
 */
export function runHistoryWriter(db: Database): GroupCommit<RunHistoryRow> {
  return batchedInsert<RunHistoryRow>(db, 'audit.run_history', {
    dedup_id: 'text',
    run_id: 'text',
    uid: 'text',
    type: 'text',
    namespace: 'text',
    name: 'text',
    phase: 'text',
    previous_phase: 'text',
    reason: 'text',
    message: 'text',
    resource_version: 'text',
    conditions: 'jsonb',
    observed_at: 'timestamptz',
    correlation_id: 'text',
    parent_type: 'text',
    parent_name: 'text',
  });
}

/** Every observed status transition of a run, once per resourceVersion, with its correlation id and parent run. */
export async function recordRunStatus(history: GroupCommit<RunHistoryRow>, m: RunStatusMessage): Promise<void> {
  const run = m.payload.run;
  const latest = [...run.conditions].sort((a, b) => (a.lastTransitionTime ?? '').localeCompare(b.lastTransitionTime ?? '')).at(-1);
  await history.add({
    dedup_id: dedupIds.runVersion(run.uid, run.resourceVersion),
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
