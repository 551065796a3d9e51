import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The current normalized state of one run (`status.runs`, migrations 0101 and 0103). */
export const RunRecord = defineEntity({
  name: 'RunRecord',
  schema: 'status',
  tableName: 'runs',
  properties: {
    id: p.text().primary(),
    uid: p.text().unique('runs_uid_key'),
    type: p.text(),
    namespace: p.text(),
    name: p.text(),
    phase: p.text(),
    labels: p.json<Record<string, string>>().defaultRaw(`'{}'`),
    resourceVersion: p.text(),
    statusDigest: p.text(),
    run: p.json<unknown>(),
    createdAt: p.datetime().columnType('timestamptz'),
    updatedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
  },
  indexes: [
    // Descending and GIN indexes are expressions to MikroORM, compared by name only.
    {
      name: 'runs_namespace_created',
      expression: 'create index runs_namespace_created on status.runs (namespace, type, created_at desc)',
    },
    { name: 'runs_phase', properties: ['phase'] },
    { name: 'runs_labels', expression: 'create index runs_labels on status.runs using gin (labels)' },
    {
      name: 'runs_namespace_created_id',
      expression: 'create index runs_namespace_created_id on status.runs (namespace, created_at desc, id desc)',
    },
    { name: 'runs_created_id', expression: 'create index runs_created_id on status.runs (created_at desc, id desc)' },
  ],
});

export type RunRecord = InferEntity<typeof RunRecord>;
