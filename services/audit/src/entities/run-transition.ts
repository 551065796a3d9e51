import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One observed status transition of a run (`audit.run_history`, migrations 0201, 0203, 0204 and 0205). */
export const RunTransition = defineEntity({
  name: 'RunTransition',
  schema: 'audit',
  tableName: 'run_history',
  properties: {
    dedupId: p.text().primary(),
    runId: p.text(),
    uid: p.text(),
    type: p.text(),
    namespace: p.text(),
    name: p.text(),
    phase: p.text(),
    previousPhase: p.text().nullable(),
    reason: p.text().nullable(),
    message: p.text().nullable(),
    resourceVersion: p.text(),
    conditions: p.json<unknown[]>(),
    observedAt: p.datetime().columnType('timestamptz'),
    recordedAt: p.datetime().columnType('timestamptz').defaultRaw('now()'),
    correlationId: p.text().nullable(),
    parentType: p.text().nullable(),
    parentName: p.text().nullable(),
  },
  indexes: [
    // Read by the correlation query before migration 0204; kept until no replica runs it.
    { name: 'run_history_run', properties: ['runId', 'observedAt'] },
    // With run_history_run, serves a history read by either id (`run_id = ? or uid = ?`).
    { name: 'run_history_uid', properties: ['uid'] },
    {
      name: 'run_history_correlation',
      expression: 'create index run_history_correlation on audit.run_history (correlation_id) where correlation_id is not null',
    },
    // Descending: a correlation page reads each run's latest transition first.
    {
      name: 'run_history_latest',
      expression: 'create index run_history_latest on audit.run_history (run_id, observed_at desc, recorded_at desc)',
    },
  ],
});

export type RunTransition = InferEntity<typeof RunTransition>;
