import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A run that waited before it existed, or was refused after waiting (`status.waiting_runs`, migrations 0104 and 0105). */
export const WaitingRun = defineEntity({
  name: 'WaitingRun',
  schema: 'status',
  tableName: 'waiting_runs',
  properties: {
    id: p.text().primary(),
    type: p.text(),
    namespace: p.text(),
    name: p.text(),
    phase: p.text(),
    labels: p.json<Record<string, string>>().defaultRaw(`'{}'`),
    run: p.json<unknown>(),
    createdAt: p.datetime().columnType('timestamptz'),
    observedAt: p.datetime().columnType('timestamptz'),
    updatedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
    // False for a refusal that came before the decision holding its run (migration 0105).
    listed: p.boolean().default(true),
  },
  indexes: [
    // Descending indexes are expressions to MikroORM, compared by name only.
    {
      name: 'waiting_runs_namespace_created_id',
      expression: 'create index waiting_runs_namespace_created_id on status.waiting_runs (namespace, created_at desc, id desc)',
    },
    {
      name: 'waiting_runs_created_id',
      expression: 'create index waiting_runs_created_id on status.waiting_runs (created_at desc, id desc)',
    },
  ],
});

export type WaitingRun = InferEntity<typeof WaitingRun>;
