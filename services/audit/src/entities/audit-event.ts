import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One row of the append-only, hash-chained audit log (`audit.audit_events`, migration 0201). */
export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  schema: 'audit',
  tableName: 'audit_events',
  properties: {
    // bigserial; kept as a string because it can outgrow a JS number's exact range.
    seq: p.bigint('string').primary().autoincrement(),
    id: p.uuid().unique('audit_events_id_key'),
    dedupId: p.text().unique('audit_events_dedup_id_key'),
    occurredAt: p.datetime().columnType('timestamptz'),
    recordedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
    actor: p.text(),
    action: p.text(),
    resourceKind: p.text(),
    namespace: p.text(),
    name: p.text().nullable(),
    uid: p.text().nullable(),
    resourceId: p.text().nullable(),
    deliveryId: p.text(),
    correlationId: p.text(),
    traceId: p.text().nullable(),
    decision: p.text().nullable(),
    outcome: p.text(),
    summary: p.json<unknown>(),
    prevHash: p.text(),
    hash: p.text(),
  },
  indexes: [
    // Descending time: the index the list reads newest-first through.
    {
      name: 'audit_events_namespace_time',
      expression: 'create index audit_events_namespace_time on audit.audit_events (namespace, occurred_at desc)',
    },
    { name: 'audit_events_correlation', properties: ['correlationId'] },
    { name: 'audit_events_resource', properties: ['resourceId'] },
  ],
});

export type AuditEvent = InferEntity<typeof AuditEvent>;
