import {
  decisionDedupId,
  dedupIds,
  type DecisionMessage,
  type KubeObject,
  type OutcomeMessage,
  type RunStatusMessage,
} from '@jangar/contracts';
import { activeTraceId } from '@jangar/service-kit';
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

/** Every observed status transition of a run, once per resourceVersion, with its correlation id and parent run. */
export async function recordRunStatus(db: Database, m: RunStatusMessage): Promise<void> {
  const run = m.payload.run;
  const latest = [...run.conditions].sort((a, b) => (a.lastTransitionTime ?? '').localeCompare(b.lastTransitionTime ?? '')).at(-1);
  // Raw SQL: `on conflict (dedup_id) do nothing` turns a redelivery into a no-op in one statement.
  await db.query(
    `insert into audit.run_history (dedup_id, run_id, uid, type, namespace, name, phase, previous_phase, reason, message, resource_version, conditions, observed_at,
       correlation_id, parent_type, parent_name)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?) on conflict (dedup_id) do nothing`,
    [
      dedupIds.runStatus(run.uid, run.resourceVersion),
      run.id,
      run.uid,
      run.type,
      run.namespace,
      run.name,
      run.phase,
      m.payload.previousPhase ?? null,
      latest?.reason ?? null,
      latest?.message ?? null,
      run.resourceVersion,
      JSON.stringify(run.conditions),
      m.occurredAt,
      run.correlationId ?? null,
      run.parent?.type ?? null,
      run.parent?.name ?? null,
    ],
  );
}
